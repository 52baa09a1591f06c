"""The Overview's cost forecast: a fleet, team or service's daily cost with the modelled rest of
the month (80 % and 95 % bands) and its month-end total, the figure the Budgets page uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from dashboard.components import charts, forecast_bands, formats, panels, theme
from dashboard.components.theme import Trace
from dashboard.queries import budgets as budget_queries
from data.repos.cost_outlook import ScopeOutlook

FLEET_LABEL = "Fleet (all costs)"


def scope_choices(scopes: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(scope type, key) pairs: the fleet first, then teams, then services."""
    return [
        ("fleet", ""),
        *(("team", team) for team in scopes.get("team", [])),
        *(("service", slug) for slug in scopes.get("service", [])),
    ]


def label(choice: tuple[str, str]) -> str:
    return FLEET_LABEL if choice[0] == "fleet" else f"{choice[0]} · {choice[1]}"


def traces(view: ScopeOutlook) -> list[Trace]:
    """Actual daily cost of the last weeks, then the forecast line and its bands to month end."""
    currency, out = view.currency, view.outlook
    seen = [view.first_shown + timedelta(days=i) for i in range(view.actual_daily_cost.size)]
    ahead = [view.last_day + timedelta(days=i + 1) for i in range(out.projected_daily_cost.size)]
    hover = formats.money_hover(currency) + "<extra>%{fullData.name}</extra>"
    actual = {
        "type": "scatter",
        "x": seen,
        "y": list(view.actual_daily_cost),
        "name": "Actual",
        "mode": "lines",
        # Set, not the colourway's first: under the Overview's team row it would move on.
        "line": {"color": theme.PALETTE[0]},
        "hovertemplate": hover,
    }
    if not ahead:
        return [actual]
    return [actual, *forecast_bands.traces(ahead, out.projected_daily_cost, out.daily, hover=hover)]


def month_end_line(view: ScopeOutlook) -> str:
    """Month-end total (forecast) with its 80 % range, in words: a line, not a KPI card (the
    Overview's cards are the fleet's measured figures)."""
    out, currency = view.outlook, view.currency
    low, high = out.month_end_range(80)
    month = view.last_day + timedelta(days=out.projected_daily_cost.size)
    return (
        f"**Month-end forecast, {month:%B} (modelled): "
        f"{formats.money(out.forecast_cost, currency)}** — 80 % range "
        f"{formats.money(low, currency)} – {formats.money(high, currency)}; month to date "
        f"{formats.money(out.month_to_date_cost, currency)}. The same figure as a budget of "
        "this scope."
    )


CAPTION = (
    "Forecast (modelled): robust trend + weekday effects; shaded bands hold the day's cost "
    "with 80 % and 95 % probability, calibrated on this scope's own past forecast errors."
)


@dataclass(frozen=True, slots=True)
class Lead:
    """What the Overview draws above the forecast in the same figure: the figure's title and
    subtitle, and the cost trend's row (None: the reason there is none, under its title)."""

    title: str
    subtitle: str
    row: panels.Row | None
    row_title: str
    missing: str


def section(sessions: sessionmaker[Session], currency: str, as_of: date, *, lead: Lead) -> None:
    """A scope picker (fleet, team, service), then `lead`'s trend and the scope's forecast in
    `currency` up to `as_of` as the two rows of one figure (one for the browser to draw)."""
    choices = scope_choices(budget_queries.budget_scopes(sessions))
    scope_type, scope_key = st.selectbox(
        "Forecast for", choices, format_func=label, key="ov_forecast_scope"
    )
    view = budget_queries.scope_outlook(sessions, scope_type, scope_key, currency, as_of)
    if view is not None:
        st.markdown(month_end_line(view))
    rows = [row for row in (lead.row, None if view is None else _row(view)) if row is not None]
    if rows:
        fig = panels.own_x(rows, title=lead.title, subtitle=lead.subtitle, hovermode="x unified")
        charts.show(fig, key="ov_forecast")
    if lead.row is None:
        charts.no_data(lead.row_title, lead.missing)
    if view is None:
        charts.no_data("Daily cost forecast", "This scope has no cost in this currency yet.")
    else:
        st.caption(CAPTION)


def _row(view: ScopeOutlook) -> panels.Row:
    """The forecast as a row (its bands keep their own legend groups: edge and fill toggle
    together)."""
    return panels.Row(
        f"Daily cost forecast — {label((view.scope_type, view.scope_key))}",
        formats.money_axis(view.currency, "day"),
        tuple(traces(view)),
        x_title="Day (UTC)",
    )
