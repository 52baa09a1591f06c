"""Saved scenarios: the table, the side-by-side comparison, CSV export, promotion and deletion."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import actions
from dashboard.components import downloads, formats, recs, tables
from data.repos.simulations import SavedScenario
from data.scenario_actions import DELETE, PROMOTE

COMPARE_KEY = "sim_compare"
PROMOTE_KEY = "sim_promote_pick"
COMPARE_NEWEST = "sim_compare_newest"  # set by a save: compare the newest two again
ROW_PX = 35
COLUMNS = {
    "name": "Scenario",
    "growth_pct": "Demand growth (%)",
    "config": "Config",
    "schedule": "Schedule",
    "commitment_pct": "Committed (%)",
    "spot_pct": "Spot (%)",
    "monthly_effective_usd": "Monthly cost (USD)",
    "monthly_delta_usd": "Δ vs current (USD/mo)",
    "hold_probability_pct": "P(SLA holds) (%)",
    "breach_hours": "Breach hours (median path)",
    "risk": "Risk",
    "horizon_days": "History (days)",
    "created_by": "Saved by",
    "created_at": "Saved at (UTC)",
}


def frame(saved: Sequence[SavedScenario]) -> pd.DataFrame:
    """One row per saved service scenario, numbers numeric, in COLUMNS order (plus `id`)."""
    rows = []
    for item in saved:
        summary = item.summary
        if summary is None:
            continue
        proposed = summary.proposed
        rows.append(
            {
                "id": item.id,
                "name": item.name,
                "growth_pct": summary.growth_pct,
                "config": proposed.describe(),
                "schedule": "always on" if proposed.schedule == "always" else proposed.schedule,
                "commitment_pct": proposed.commitment_coverage_pct,
                "spot_pct": proposed.spot_pct,
                "monthly_effective_usd": round(summary.monthly_effective_usd, 2),
                "monthly_delta_usd": round(summary.monthly_effective_usd_delta, 2),
                "hold_probability_pct": round(summary.hold_probability * 100.0, 1),
                "breach_hours": summary.breach_hours_p50,
                "risk": recs.risk_badge(summary.risk_score),
                "horizon_days": summary.horizon_days,
                "created_by": item.created_by,
                "created_at": item.created_at.strftime("%Y-%m-%d %H:%M"),
            }
        )
    return pd.DataFrame(rows, columns=["id", *COLUMNS])


def side_by_side(table: pd.DataFrame) -> pd.DataFrame:
    """Scenarios as columns, figures as rows (named as in COLUMNS) with their units."""
    shown = table.drop(columns="id").copy()
    for column, shape in _TEXT_FORMATS.items():
        shown[column] = shown[column].map(shape)
    shown = shown.rename(columns=COLUMNS).set_index("Scenario")
    wide = shown.T.astype("string")
    wide.columns = [str(c) for c in wide.columns]
    return wide.reset_index(names="Figure")


_TEXT_FORMATS: dict[str, Callable[[Any], str]] = {
    "growth_pct": lambda v: f"{v:+.0f} %",
    "commitment_pct": lambda v: f"{v:.0f} %",
    "spot_pct": lambda v: f"{v:.0f} %",
    "monthly_effective_usd": lambda v: f"{formats.money(v, 'USD')} /mo",
    "monthly_delta_usd": lambda v: (
        f"{'+' if round(v) > 0 else ''}{formats.money(round(v), 'USD')} /mo"
    ),
    "hold_probability_pct": lambda v: f"{v:.1f} %",
    "breach_hours": lambda v: f"{v:,.0f} h",
    "horizon_days": lambda v: f"{v:.0f} d",
}


def show(
    saved: Sequence[SavedScenario],
    *,
    slug: str,
    promote: Callable[[int], None],
    delete: Callable[[int], None],
) -> None:
    """Table of saved scenarios, a comparison of the chosen ones, CSV export, promotion and
    deletion (both disabled, saying why, for a role that may not)."""
    table = frame(saved)
    if table.empty:
        st.info(
            "No saved scenario for this service yet: set the levers above, name the scenario "
            "and press **Save scenario**.",
            icon=":material/bookmark:",
        )
        return
    tables.grid(
        table.sort_values("monthly_effective_usd"),
        column_order=list(COLUMNS),
        column_config=_column_config(),
        hide_index=True,
        key="sim_saved_table",
    )
    labels = dict(zip(table["id"].astype(int), table["name"], strict=True))
    just_saved = st.session_state.pop(COMPARE_NEWEST, False)
    kept = [sid for sid in st.session_state.get(COMPARE_KEY, []) if sid in labels]
    if just_saved or not kept:
        kept = list(labels)[-2:]  # after a save: the newest two
    st.session_state[COMPARE_KEY] = kept
    if just_saved or st.session_state.get(PROMOTE_KEY) not in labels:
        st.session_state[PROMOTE_KEY] = list(labels)[-1]
    picked: list[int] = st.multiselect(
        "Compare side by side", list(labels), format_func=lambda sid: labels[sid],
        key=COMPARE_KEY,
    )  # fmt: skip
    chosen = table[table["id"].isin(picked)]
    if len(chosen) >= 2:
        wide = side_by_side(chosen)
        tables.grid(
            wide, hide_index=True, key="sim_compare_table", height=ROW_PX * (len(wide) + 1) + 3
        )
    else:
        st.caption("Pick two or more scenarios to read them side by side.")
    _act_on_one(labels, promote=promote, delete=delete)
    downloads.csv_button(
        "Export CSV",
        lambda: table.drop(columns="id").rename(columns=COLUMNS),
        file_name=f"tightrope-scenarios-{slug}.csv",
        key="sim_export",
    )


def _act_on_one(
    labels: dict[int, str], *, promote: Callable[[int], None], delete: Callable[[int], None]
) -> None:
    left, middle, right = st.columns([2, 1, 1], vertical_alignment="bottom")
    target = left.selectbox(
        "Scenario to propose", list(labels), format_func=lambda sid: labels[sid],
        key=PROMOTE_KEY,
    )  # fmt: skip
    no_promote = actions.refusal(PROMOTE, "proposing a scenario")
    if middle.button(
        "Propose as recommendation", key="sim_promote", icon=":material/lightbulb:",
        help=no_promote
        or "Creates an open recommendation that goes through the normal approval workflow.",
        disabled=no_promote is not None, width="stretch",
    ):  # fmt: skip
        promote(int(target))
    no_delete = actions.refusal(DELETE, "deleting a scenario")
    confirm = right.popover(
        "Delete scenario", icon=":material/delete:", help=no_delete,
        disabled=no_delete is not None, width="stretch",
    )  # fmt: skip
    confirm.caption(
        f"Delete “{formats.escape_markdown(labels[int(target)])}” for good? A recommendation "
        "proposed from it stays."
    )
    if confirm.button(
        "Delete", key="sim_delete", type="primary", icon=":material/delete:",
        disabled=no_delete is not None,
    ):  # fmt: skip
        delete(int(target))


def _column_config() -> dict[str, Any]:
    money = st.column_config.NumberColumn
    return {
        "name": st.column_config.TextColumn(COLUMNS["name"]),
        "growth_pct": st.column_config.NumberColumn(COLUMNS["growth_pct"], format="%+.0f %%"),
        "config": st.column_config.TextColumn(COLUMNS["config"]),
        "schedule": st.column_config.TextColumn(COLUMNS["schedule"]),
        "commitment_pct": st.column_config.NumberColumn("Committed", format="%.0f %%"),
        "spot_pct": st.column_config.NumberColumn("Spot", format="%.0f %%"),
        "monthly_effective_usd": money("Monthly cost (USD/mo)", format="%,.0f"),
        "monthly_delta_usd": money("Δ vs current (USD/mo)", format="%+,.0f"),
        "hold_probability_pct": tables.percent_bar("P(SLA holds)"),
        "breach_hours": st.column_config.NumberColumn("Breach hours", format="%.0f h"),
        "risk": st.column_config.TextColumn("Risk"),
        "horizon_days": st.column_config.NumberColumn("History", format="%d d"),
        "created_by": st.column_config.TextColumn("Saved by"),
        "created_at": st.column_config.TextColumn("Saved at (UTC)"),
    }
