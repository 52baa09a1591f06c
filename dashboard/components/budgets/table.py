"""The budgets table (state badges, money per currency) and one budget's month chart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.components import charts, downloads, forecast_bands, formats, tables, theme
from data.repos.budget_status import BudgetView, month_bounds

# Icon + words: colour is never the only signal.
STATE_BADGES = {"ok": "✓ OK", "at_risk": "▲ At risk", "over": "⚠ Over"}
_STATE_STYLES = {
    STATE_BADGES["ok"]: "color: #2E9E5B",
    STATE_BADGES["at_risk"]: "color: #C98A00; font-weight: 600",
    STATE_BADGES["over"]: "color: #D93F3F; font-weight: 600",
}
_EXPORT = {
    "scope_type": "Scope type",
    "scope_key": "Scope",
    "month": "Month",
    "currency": "Currency",
    "amount": "Budget",
    "month_to_date": "Month to date (effective)",
    "forecast": "Forecast to month end",
    "forecast_low80": "Forecast 80 % low",
    "forecast_high80": "Forecast 80 % high",
    "exceed_pct": "Chance of exceeding (%)",
    "forecast_pct": "Forecast % of budget",
    "state_label": "State",
    "created_by": "Created by",
}


def budgets_frame(views: Sequence[BudgetView]) -> pd.DataFrame:
    """One row per budget, worst state first, then by forecast share of the amount."""
    rows = [
        {
            "budget_id": v.budget.id,
            "version": v.budget.version,
            "scope_type": v.budget.scope_type,
            "scope_key": v.budget.scope_key,
            "scope": f"{v.budget.scope_type} · {v.budget.scope_key}",
            "month": v.budget.month,
            "currency": v.budget.currency,
            "amount": float(v.budget.amount),
            "month_to_date": v.check.month_to_date_cost,
            "forecast": v.check.forecast_cost,
            "forecast_low80": v.check.forecast_low80,
            "forecast_high80": v.check.forecast_high80,
            "exceed_pct": 100.0 * v.check.exceed_probability,
            "consumed_pct": v.check.consumed_pct,
            "forecast_pct": v.check.forecast_pct,
            "state": v.check.state,
            "state_label": STATE_BADGES[v.check.state],
            "created_by": v.budget.created_by,
        }
        for v in views
    ]
    frame = pd.DataFrame(
        rows, columns=[*_EXPORT, "budget_id", "version", "scope", "consumed_pct", "state"]
    )
    rank = frame["state"].map({"over": 0, "at_risk": 1, "ok": 2})
    return (
        frame.assign(_rank=rank)
        .sort_values(["_rank", "forecast_pct"], ascending=[True, False])
        .drop(columns="_rank")
        .reset_index(drop=True)
    )


def show_table(frame: pd.DataFrame, *, month: date) -> None:
    """The budgets of the month, money in each budget's own currency, with a CSV export."""
    shown = frame.assign(forecast_range=_ranges(frame))
    tables.grid(
        shown.style.map(lambda v: _STATE_STYLES.get(v, ""), subset=["state_label"]),
        column_order=[
            "scope",
            "state_label",
            "amount",
            "month_to_date",
            "forecast",
            "forecast_range",
            "exceed_pct",
            "consumed_pct",
            "currency",
        ],
        column_config={
            "scope": st.column_config.TextColumn("Scope"),
            "state_label": st.column_config.TextColumn(
                "State",
                help="Over: month-to-date above the budget. At risk: the month-end forecast is.",
            ),
            "amount": _money_column("Budget", frame),
            "month_to_date": _money_column(
                "Month to date", frame, help="Effective cost charged so far this month."
            ),
            "forecast": _money_column(
                "Forecast",
                frame,
                help="Month to date plus the modelled remaining days (robust trend + weekday "
                "effects, decision 025).",
            ),
            "forecast_range": st.column_config.TextColumn(
                "Month end, 80 % range",
                help="The month-end total lies in this range with 80 % probability "
                "(calibrated on this scope's own past forecast errors).",
            ),
            "exceed_pct": st.column_config.NumberColumn(
                "Chance over",
                format="%.0f %%",
                help="Probability that the month-end total exceeds the budget (modelled).",
            ),
            "consumed_pct": tables.percent_bar(
                "Spent",
                help="Month to date ÷ budget.",
            ),
            "currency": st.column_config.TextColumn("Currency"),
        },
        hide_index=True,
        key="bud_table",
    )
    downloads.csv_button(
        "Export budgets (CSV)",
        lambda: frame[list(_EXPORT)].rename(columns=_EXPORT),
        file_name=f"tightrope-budgets-{month:%Y-%m}.csv",
        key="bud_export",
    )


def _ranges(frame: pd.DataFrame) -> list[str]:
    return [
        "—" if np.isnan(low) else f"{formats.money(low, cur)} – {formats.money(high, cur)}"
        for low, high, cur in zip(
            frame["forecast_low80"], frame["forecast_high80"], frame["currency"], strict=True
        )
    ]


def month_chart(view: BudgetView) -> go.Figure:
    """Cumulative actual vs forecast to month end vs the budget line, in billing currency."""
    first, last = month_bounds(view.budget.month)
    currency = view.budget.currency
    actual = np.nancumsum(view.actual_daily_cost)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    seen = days[: actual.size]
    start = float(actual[-1]) if actual.size else 0.0
    rest = start + np.cumsum(view.projected_daily_cost)
    ahead = days[len(days) - rest.size :]
    hover = formats.money_hover(currency) + "<extra>%{fullData.name}</extra>"
    fig = go.Figure()
    fig.add_scatter(x=seen, y=actual, name="Actual (cumulative)", mode="lines", hovertemplate=hover)
    anchor = (seen[-1], start) if seen else None
    if view.projected_cumulative is not None and rest.size:
        forecast_bands.add_forecast(
            fig, ahead, rest, view.projected_cumulative, hover=hover, anchor=anchor
        )
    fig.add_scatter(
        x=[first, last],
        y=[float(view.budget.amount)] * 2,
        name="Budget",
        mode="lines",
        line={"color": theme.TARGET, "dash": "dash"},
        hovertemplate=hover,
    )
    return theme.style(
        fig,
        title=f"{view.budget.scope_type.title()} {view.budget.scope_key} — {first:%B %Y}",
        x_title="Day (UTC)",
        y_title=f"Cumulative effective cost ({currency})",
    )


def show_chart(view: BudgetView) -> None:
    if view.last_cost_date is None:
        charts.no_data("Month to date", "No cost data yet: nothing to accumulate.")
        return
    charts.show(month_chart(view), key="bud_chart")


def _money_column(label: str, frame: pd.DataFrame, help: str | None = None) -> Any:
    """Money in the budgets' currency: its symbol when they share one, else the Currency column
    beside it says which (amounts are never summed across currencies)."""
    present = sorted(set(frame["currency"]))
    title = f"{label} ({present[0]})" if len(present) == 1 else label
    return st.column_config.NumberColumn(
        title, format=tables.money_format(frame["currency"]), help=help
    )
