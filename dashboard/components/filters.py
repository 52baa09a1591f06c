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
KEY_DATES = "flt_dates"
_PAIRS = (
    (KEY_TEAMS, STORE_TEAMS),
    (KEY_ENVIRONMENTS, STORE_ENVIRONMENTS),
    (KEY_PLATFORMS, STORE_PLATFORMS),
    (KEY_DATES, STORE_DATES),
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
    if len(st.session_state.get(KEY_DATES, ())) != 1:  # keep a half-picked range as it is
        st.session_state[KEY_DATES] = _stored_dates(today, first_day)
    picked = st.date_input(
        "Charge dates (UTC)",
        min_value=first_day,
        max_value=today,
        key=KEY_DATES,
        on_change=_save_dates,
        args=(today,),
        help="Days shown by the charts. KPIs always cover the 30 days to the newest data.",
    )
    return _complete_range(picked, today)


def _complete_range(picked: Any, today: date) -> tuple[date, date]:
    # While a range is being picked the widget returns only its first day.
    values = [v for v in (picked if isinstance(picked, tuple | list) else (picked,)) if v]
    if not values:
        return st.session_state.get(STORE_DATES, (today, today))  # type: ignore[no-any-return]
    start = values[0]
    end = values[1] if len(values) > 1 else today
    return start, end


def _save_dates(today: date) -> None:
    picked = st.session_state[KEY_DATES]
    if isinstance(picked, tuple | list) and len(picked) == 2:
        st.session_state[STORE_DATES] = _complete_range(picked, today)


def _clear() -> None:
    for key, store in _PAIRS[:3]:
        st.session_state[key] = []
        st.session_state[store] = ()
