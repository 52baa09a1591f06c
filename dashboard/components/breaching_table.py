"""Overview: the services breaching their latency SLA, worst first."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components import formats, markdown_table, tables

FIRST_SHOWN = 10  # what st.dataframe showed before scrolling, at its default height
# The columns shown, in order, by the markdown table and the grid alike.
_SHOWN = (
    "name",
    "team",
    "environment",
    "latency_p95_target_ms",
    "breach_share_pct",
    "sla_breach_hours_7d",
    "monthly_effective_cost",
)
_COLUMNS = (
    markdown_table.Column("Service"),
    markdown_table.Column("Team"),
    markdown_table.Column("Env"),
    markdown_table.Column("p95 target", "right"),
    markdown_table.Column("Hours over target", "right"),
    markdown_table.Column("Breach hours", "right"),
    markdown_table.Column("Monthly cost", "right"),
)


def show(breaching: pd.DataFrame) -> None:
    """The worst ten as a markdown table, and every one as a sortable table on request.

    The grid (st.dataframe) is ~1.6 MB of lazily loaded JavaScript that a first visit fetches,
    parses and compiles (0.3–0.4 s of the browser's CPU; issue 19, decision 031 session 10)
    for the ten rows it showed before scrolling; the toggle draws it for the whole list."""
    st.markdown("**Services breaching their latency SLA (last 7 days)**")
    if breaching.empty:
        st.success("No filtered service missed its p95 latency target in more than 1 % of hours.")
        return
    every = len(breaching) > FIRST_SHOWN and st.toggle(
        f"All {len(breaching):,}, in a sortable table",
        key="ov_breaching_all",
        help=f"Off: the {FIRST_SHOWN} with the largest share of hours over target.",
    )
    if every:
        _grid(breaching)
    else:
        st.markdown(markdown_table.table(_COLUMNS, _rows(breaching.head(FIRST_SHOWN))))
    shown = len(breaching) if every else min(len(breaching), FIRST_SHOWN)
    st.caption(
        f"Worst first: {shown:,} of {len(breaching):,}. Open the Services page to drill into "
        "one of them."
    )


def _rows(frame: pd.DataFrame) -> list[tuple[str, ...]]:
    fields = [*_SHOWN, "billing_currency"]
    return [
        (
            markdown_table.text(name),
            markdown_table.text(team),
            markdown_table.text(env),
            markdown_table.text(f"{target:,.0f} ms"),
            markdown_table.text(f"{share:.1f} %"),
            markdown_table.text(f"{hours:,.0f} h"),
            "" if pd.isna(cost) else markdown_table.text(formats.money(cost, str(currency))),
        )
        for name, team, env, target, share, hours, cost, currency in frame[fields].itertuples(
            index=False, name=None
        )
    ]


def _grid(breaching: pd.DataFrame) -> None:
    tables.grid(
        breaching,
        column_order=list(_SHOWN),
        hide_index=True,
        key="ov_breaching",
        column_config={
            "name": st.column_config.TextColumn("Service"),
            "team": st.column_config.TextColumn("Team"),
            "environment": st.column_config.TextColumn("Env"),
            "latency_p95_target_ms": st.column_config.NumberColumn("p95 target", format="%.0f ms"),
            "breach_share_pct": st.column_config.NumberColumn(
                "Hours over target", format="%.1f %%"
            ),
            "sla_breach_hours_7d": st.column_config.NumberColumn("Breach hours", format="%d h"),
            "monthly_effective_cost": st.column_config.NumberColumn(
                "Monthly cost", format=tables.money_format(breaching["billing_currency"])
            ),
        },
    )
