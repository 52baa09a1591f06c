"""Sidebar filters shared by every page, remembered across pages in non-widget session keys.

Widget state is dropped when the page that rendered it is left, so each widget is seeded
from a plain session key (`filter_*`) before it is drawn, and its on_change callback (which
runs before the script) copies a user's change back into that key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from data.repos.fleet import FilterOptions, Filters

DEFAULT_DAYS = 30
# Non-widget keys: survive page switches.
STORE_TEAMS = "filter_teams"
STORE_ENVIRONMENTS = "filter_environments"
STORE_PLATFORMS = "filter_platforms"
STORE_DATES = "filter_dates"
# Widget keys (shared by all pages, hence their own prefix).
KEY_TEAMS = "flt_teams"
KEY_ENVIRONMENTS = "flt_environments"
KEY_PLATFORMS = "flt_platforms"
KEY_DATE_FROM = "flt_date_from"
KEY_DATE_TO = "flt_date_to"
_PAIRS = (
    (KEY_TEAMS, STORE_TEAMS),
    (KEY_ENVIRONMENTS, STORE_ENVIRONMENTS),
    (KEY_PLATFORMS, STORE_PLATFORMS),
)


@dataclass(frozen=True, slots=True)
class Selection:
    """What the sidebar asks for: which services and which charged days (inclusive)."""

    filters: Filters
    start: date
    end: date


def sidebar(
    options: FilterOptions, *, today: date, first_day: date | None, with_dates: bool
) -> Selection:
    """Draw the filters; dates default to the 30 days ending with the newest data."""
    with st.sidebar:
        st.header("Filters", anchor=False)
        teams = _multiselect("Team", options.teams, KEY_TEAMS, STORE_TEAMS)
        environments = _multiselect(
            "Environment", options.environments, KEY_ENVIRONMENTS, STORE_ENVIRONMENTS
        )
        platforms = _multiselect("Platform", options.platforms, KEY_PLATFORMS, STORE_PLATFORMS)
        start, end = _stored_dates(today, first_day)
        if with_dates:
            start, end = _date_range(today, first_day or today - timedelta(days=365))
        filters = Filters(teams=teams, environments=environments, platforms=platforms)
        if filters.active:
            st.button(
                "Clear filters", key="flt_clear", icon=":material/filter_alt_off:", on_click=_clear
            )
    return Selection(filters=filters, start=start, end=end)


def scoped(frame: pd.DataFrame, wanted: Filters) -> pd.DataFrame:
    """Rows of a frame with team / environment / platform columns that match the sidebar's
    team, environment and platform filters (an empty filter keeps everything; index kept)."""
    keep = pd.Series(True, index=frame.index)
    for column, values in (
        ("team", wanted.teams),
        ("environment", wanted.environments),
        ("platform", wanted.platforms),
    ):
        if values:
            keep &= frame[column].isin(values)
    return frame[keep]


def active_hint(selection: Selection, *, shown: int, total: int) -> None:
    """Say that filters hide data, and how much (colour is not the only signal)."""
    if not selection.filters.active:
        return
    parts = [
        f"{label}: {', '.join(values)}"
        for label, values in (
            ("team", selection.filters.teams),
            ("environment", selection.filters.environments),
            ("platform", selection.filters.platforms),
        )
        if values
    ]
    st.sidebar.info(
        f"Filters active ({'; '.join(parts)}) — showing {shown} of {total} services.",
        icon=":material/filter_alt:",
    )


def _multiselect(label: str, options: Sequence[str], key: str, store: str) -> tuple[str, ...]:
    st.session_state[key] = [v for v in st.session_state.get(store, ()) if v in options]
    chosen = st.multiselect(
        label,
        list(options),
        key=key,
        placeholder=f"All {label.lower()}s",
        on_change=_save,
        args=(key, store),
    )
    st.session_state[store] = tuple(chosen)
    return tuple(chosen)


def remembered_multiselect(
    label: str,
    options: Sequence[Any],
    *,
    key: str,
    default: Sequence[Any] = (),
    format_func: Callable[[Any], str] = str,
    placeholder: str | None = None,
) -> list[Any]:
    """A page's own multiselect that survives page switches (kept in `filter_<key>`)."""
    store = f"filter_{key}"
    if store not in st.session_state:
        st.session_state[store] = tuple(default)
    st.session_state[key] = [v for v in st.session_state[store] if v in options]
    chosen: list[Any] = st.multiselect(
        label,
        list(options),
        key=key,
        format_func=format_func,
        placeholder=placeholder,
        on_change=_save,
        args=(key, store),
    )
    return chosen


def _save(key: str, store: str) -> None:
    value = st.session_state[key]
    st.session_state[store] = tuple(value) if isinstance(value, list | tuple) else value


def _stored_dates(today: date, first_day: date | None) -> tuple[date, date]:
    low = first_day or today - timedelta(days=365)
    default = (max(low, today - timedelta(days=DEFAULT_DAYS - 1)), today)
    stored: Any = st.session_state.get(STORE_DATES, default)
    start, end = (max(low, min(d, today)) for d in stored)
    return (start, end) if start <= end else default


def _date_range(today: date, first_day: date) -> tuple[date, date]:
    """From and To as two selectboxes over the days with cost, newest first (type to find a
    day: "2026-11"). Not st.date_input: its calendar is a lazily loaded chunk of its own that
    cost each first visit ~0.2 s of the browser's CPU, where these reuse the selectbox code the
    pages load anyway (issue 19; decision 031, session 10)."""
    start, end = _stored_dates(today, first_day)
    days = [today - timedelta(days=i) for i in range(max(0, (today - first_day).days) + 1)]
    st.session_state[KEY_DATE_FROM] = start
    st.session_state[KEY_DATE_TO] = end
    # One above the other: side by side, the sidebar cut the dates short ("2026-10-2…").
    picked_from = st.selectbox(
        "From (UTC)",
        days,
        key=KEY_DATE_FROM,
        format_func=_day,
        on_change=_save_dates,
        help="Charge dates shown by the charts. KPIs always cover the 30 days to the newest data.",
    )
    picked_to = st.selectbox(
        "To (UTC)", days, key=KEY_DATE_TO, format_func=_day, on_change=_save_dates
    )
    return _ordered(picked_from, picked_to)


def _day(day: date) -> str:
    return f"{day:%Y-%m-%d}"


def _ordered(first: date, second: date) -> tuple[date, date]:
    """A To before the From is read as the same range the other way round."""
    return (first, second) if first <= second else (second, first)


def _save_dates() -> None:
    st.session_state[STORE_DATES] = _ordered(
        st.session_state[KEY_DATE_FROM], st.session_state[KEY_DATE_TO]
    )


def _clear() -> None:
    for key, store in _PAIRS[:3]:
        st.session_state[key] = []
        st.session_state[store] = ()
