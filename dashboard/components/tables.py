"""Table layouts: which columns a table shows, their labels, units and formats."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard.components import formats

SERVICE_COLUMNS = (
    "name",
    "team",
    "environment",
    "platform",
    "region",
    "config_summary",
    "replicas",
    "monthly_effective_cost",
    "billing_currency",
    "cpu_p95_utilization_pct",
    "sla_label",
    "latency_p95_target_ms",
)
# Icon + words (colour is never the only signal); glyphs every common UI font carries.
SLA_LABELS = {
    "breaching": "⚠ Breaching",
    "within": "✓ Within SLA",
    "no_data": "○ No latency data",
}
# Mid-tone red/green that keep their contrast on the light and the dark theme; grey for no data.
_SLA_COLORS = {
    SLA_LABELS["breaching"]: "#D93F3F",
    SLA_LABELS["within"]: "#2E9E5B",
    SLA_LABELS["no_data"]: "#8A94A3",
}
_EXPORT_LABELS = {
    "slug": "Service slug",
    "name": "Service",
    "team": "Team",
    "environment": "Environment",
    "platform": "Platform",
    "region": "Region",
    "config_summary": "Instance type / requests per replica",
    "replicas": "Replicas",
    "monthly_effective_cost": "Monthly effective cost (run-rate)",
    "billing_currency": "Currency",
    "cpu_p95_utilization_pct": "CPU p95 utilization 7d (%)",
    "sla_label": "Latency SLA 7d",
    "sla_breach_hours_7d": "Hours over p95 target 7d",
    "latency_hours_7d": "Hours with latency data 7d",
    "latency_p95_target_ms": "p95 latency target (ms)",
}


def grid(data: Any, **kwargs: Any) -> Any:
    """`st.dataframe` with a missing value shown as — like every other table and card.

    Streamlit's default draws a grey "None" (an empty Cost increase read as a value); every
    grid in the dashboard goes through here (tests/dashboard/test_grids.py holds it).
    """
    return st.dataframe(data, placeholder="—", **kwargs)


def percent_bar(label: str, *, help: str | None = None) -> Any:
    """A 0–100 % progress bar column, one decimal (utilization, budget spent, P(SLA holds))."""
    return st.column_config.ProgressColumn(
        label, format="%.1f %%", min_value=0, max_value=100, help=help
    )


def money_format(currencies: pd.Series) -> str:
    """printf money format for a column: `$1,234` when one known-symbol currency, else plain."""
    present = set(currencies.dropna().unique())
    if len(present) == 1:
        prefix = formats.symbol(str(next(iter(present))))
        if prefix:
            return f"{prefix}%,.0f"
    return "%,.0f"


def services_column_config(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "name": st.column_config.TextColumn("Service"),
        "team": st.column_config.TextColumn("Team"),
        "environment": st.column_config.TextColumn("Env"),
        "platform": st.column_config.TextColumn("Platform"),
        "region": st.column_config.TextColumn("Region"),
        "config_summary": st.column_config.TextColumn(
            "Instance / requests", help="VM instance type, or CPU / memory request per pod"
        ),
        "replicas": st.column_config.NumberColumn("Replicas", format="%d"),
        "monthly_effective_cost": st.column_config.NumberColumn(
            "Monthly cost",
            format=money_format(frame["billing_currency"]),
            help="Effective cost of the last 30 days scaled to a 730-hour month.",
        ),
        "billing_currency": st.column_config.TextColumn("Currency"),
        "cpu_p95_utilization_pct": percent_bar(
            "CPU p95 (7 d)",
            help="95th percentile of hourly mean CPU used ÷ current CPU capacity, last 7 days.",
        ),
        "sla_badge": st.column_config.MultiselectColumn(
            "Latency SLA (7 d)",
            options=list(_SLA_COLORS),
            color=list(_SLA_COLORS.values()),
            help="Breaching: p95 latency above target in more than 1 % of hours, last 7 days.",
        ),
        "latency_p95_target_ms": st.column_config.NumberColumn("p95 target", format="%.0f ms"),
    }


def with_sla_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """Add `sla_label`, the displayed form of the `sla_status` code."""
    return frame.assign(sla_label=frame["sla_status"].map(SLA_LABELS))


def with_sla_badges(frame: pd.DataFrame) -> pd.DataFrame:
    """Add `sla_badge`, the SLA label as a one-item list the table draws as a coloured tag
    (words and icon carry the meaning, the colour repeats it).

    Why not a pandas Styler colouring `sla_label`: Streamlit then renders and sends every cell
    twice (values and display strings) plus one CSS rule per row, 0.3 s of the server's CPU
    and 260 kB more to the browser at 1,000 services; a tag column costs neither."""
    badges = pd.Series([[label] for label in frame["sla_label"]], index=frame.index, dtype=object)
    return frame.assign(sla_badge=badges)


def services_export(frame: pd.DataFrame) -> pd.DataFrame:
    """The services table with readable, unit-bearing headers for CSV export."""
    columns = [c for c in _EXPORT_LABELS if c in frame.columns]
    exported = frame[columns].rename(columns=_EXPORT_LABELS)
    money_column = _EXPORT_LABELS["monthly_effective_cost"]
    exported[money_column] = exported[money_column].round(2)
    return exported
