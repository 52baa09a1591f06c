"""Realized savings per change against its prediction, and the SLA after apply."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard.components import formats, kpis, tables
from data.repos.realized import BASIS, RealizedMonth

_ORDER = (
    "change_id", "service", "status_label", "predicted_monthly", "realized_text",
    "month_realized", "realized_status", "predicted_p95_ms", "observed_p95_ms",
    "latency_target_ms", "predicted_peak_pct", "observed_peak_pct", "sla",
)  # fmt: skip
REALIZED_HELP = (
    "Billed cost of the service (FOCUS EffectiveCost, every category) on the complete days "
    "after the change, each set against the same weekday before it, per unit of demand "
    "(requests, or CPU core-hours without requests): what the days after would have cost at "
    "the old cost per unit, minus what they cost. Up to 4 weeks each side; the change day and "
    "days in progress are left out; a rolled-back change stops at its rollback. Band: 95 %."
)


def month_kpi(month: RealizedMonth) -> kpis.Kpi:
    """`Realized this month`: measured changes' savings so far this month vs their prediction
    for the same days (the Overview's and the Changes page's card)."""
    money = month.currency
    waiting = f"; {month.waiting} more not measured yet" if month.waiting else ""
    return kpis.Kpi(
        "Realized this month",
        formats.money_compact(month.realized_usd, money),
        delta=f"vs {formats.money_compact(month.predicted_usd, money)} predicted",
        delta_color="off",
        delta_arrow="off",
        help=(
            f"Basis: {BASIS}. Savings of {month.measured} applied change"
            f"{'' if month.measured == 1 else 's'} on the complete days of this month they "
            f"were in effect, against their predicted savings for the same days{waiting}. "
            "Every service, whatever the filters. " + REALIZED_HELP
        ),
    )


def realized_table(frame: pd.DataFrame) -> None:
    """Per change: predicted vs realized with its band (or why not yet), and the SLA."""
    st.markdown("**Realized savings and SLA after apply**, newest first")
    tables.grid(
        frame.assign(sla=frame["sla_breached"].map(_sla_label)),
        column_order=_ORDER,
        column_config=_columns(frame),
        hide_index=True,
        key="chg_realized",
    )
    st.caption(
        f"Basis: {BASIS}. {REALIZED_HELP} SLA after apply: p95 latency over "
        "target in more than 1 % of the hours since the apply (up to 14 days) is a breach."
    )


def _columns(frame: pd.DataFrame) -> dict[str, Any]:
    money = tables.money_format(frame["currency"])
    return {
        "change_id": st.column_config.NumberColumn("Change", format="#%d"),
        "service": st.column_config.TextColumn("Service"),
        "status_label": st.column_config.TextColumn("Status"),
        "predicted_monthly": st.column_config.NumberColumn("Predicted /mo", format=money),
        "realized_text": st.column_config.TextColumn(
            "Realized /mo (95 % band)", width="medium", help=REALIZED_HELP
        ),
        "month_realized": st.column_config.NumberColumn("Realized this month", format=money),
        "realized_status": st.column_config.TextColumn("How measured", width="medium"),
        "predicted_p95_ms": st.column_config.NumberColumn("p95 predicted", format="%.0f ms"),
        "observed_p95_ms": st.column_config.NumberColumn("p95 after", format="%.0f ms"),
        "latency_target_ms": st.column_config.NumberColumn("p95 target", format="%.0f ms"),
        "predicted_peak_pct": st.column_config.NumberColumn("Peak CPU predicted", format="%.0f %%"),
        "observed_peak_pct": st.column_config.NumberColumn("Peak CPU after", format="%.0f %%"),
        "sla": st.column_config.TextColumn("SLA after apply"),
    }


def _sla_label(breached: bool) -> str:
    return "breached" if breached else "kept"
