"""Team mode of the Simulator: who breaks the SLA under a demand growth, and the cost to fix it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components import downloads, formats, kpis, recs, tables
from data.repos.simulations import SavedScenario
from engine.simulation import FleetResult

COLUMNS = {
    "service": "Service",
    "sla": "SLA at this growth",
    "breach_hours": "Breach hours",
    "risk": "Risk",
    "replicas": "Replicas now → needed",
    "monthly_now_usd": "Monthly cost now (USD/mo)",
    "keep_whole_usd": "Extra to keep it whole (USD/mo)",
    "note": "Why",
}


def frame(result: FleetResult) -> pd.DataFrame:
    """One row per service, the breaking ones (costliest fix first) on top."""
    rows = [
        {
            "service": outcome.slug,
            "sla": "✓ holds" if outcome.sla_holds else "⚠ breaks",
            "breach_hours": outcome.breach_hours,
            "risk": recs.risk_badge(outcome.risk_score),
            "replicas": f"{outcome.current_replicas} → "
            + ("?" if outcome.cheapest_replicas is None else str(outcome.cheapest_replicas)),
            "monthly_now_usd": round(outcome.monthly_effective_usd_current, 2),
            "keep_whole_usd": (
                None
                if outcome.keep_whole_monthly_usd is None
                else round(outcome.keep_whole_monthly_usd, 2)
            ),
            "note": outcome.note,
            "_holds": outcome.sla_holds,
        }
        for outcome in result.outcomes
    ]
    table = pd.DataFrame(rows, columns=[*COLUMNS, "_holds"])
    ordered = table.sort_values(["_holds", "keep_whole_usd"], ascending=[True, False])
    return ordered.drop(columns="_holds").reset_index(drop=True)


def show(result: FleetResult, *, team: str) -> None:
    total = len(result.outcomes)
    kpis.kpi_row(
        [
            kpis.Kpi(
                "Services breaking the SLA",
                f"{result.breaking_count} of {total}",
                delta=f"at {result.growth_pct:+.0f} % demand",
                delta_color="off",
                delta_arrow="off",
            ),
            kpis.Kpi(
                "Cost to keep them whole",
                f"+{formats.money(result.keep_whole_monthly_usd, 'USD')} /mo",
                help="Extra effective cost of the smallest replica count that keeps each SLA.",
            ),
            kpis.Kpi(
                "Not fixable by replicas",
                str(result.unfixable_count),
                help="No replica count searched keeps the SLA at the current size per replica.",
            ),
        ]
    )
    table = frame(result)
    tables.grid(
        table,
        column_config={
            key: st.column_config.NumberColumn(label, format="%,.0f")
            if key.endswith("_usd")
            else st.column_config.TextColumn(label)
            for key, label in COLUMNS.items()
        }
        | {
            "breach_hours": st.column_config.NumberColumn("Breach hours", format="%d h"),
            "note": st.column_config.TextColumn(COLUMNS["note"], width="large"),
        },
        hide_index=True,
        key="sim_fleet_table",
    )
    downloads.csv_button(
        "Export CSV",
        lambda: table.rename(columns=COLUMNS),
        file_name=f"tightrope-team-{team}-growth-{result.growth_pct:+.0f}.csv",
        key="sim_fleet_export",
    )


SAVED_COLUMNS = {
    "name": "Scenario",
    "growth_pct": "Demand growth (%)",
    "breaking": "Services breaking",
    "keep_whole_usd": "Extra to keep them whole (USD/mo)",
    "unfixable": "Not fixable by replicas",
    "created_by": "Saved by",
    "created_at": "Saved at (UTC)",
}


def saved_frame(saved: tuple[SavedScenario, ...]) -> pd.DataFrame:
    """One row per saved team scenario, in SAVED_COLUMNS order."""
    rows = [
        {
            "name": item.name,
            "growth_pct": summary.growth_pct,
            "breaking": f"{len(summary.breaking)} of {summary.services}",
            "keep_whole_usd": round(summary.keep_whole_monthly_usd, 2),
            "unfixable": ", ".join(summary.unfixable) or "none",
            "created_by": item.created_by,
            "created_at": item.created_at.strftime("%Y-%m-%d %H:%M"),
        }
        for item in saved
        if (summary := item.team_summary) is not None
    ]
    return pd.DataFrame(rows, columns=list(SAVED_COLUMNS))


def show_saved(saved: tuple[SavedScenario, ...], *, team: str) -> None:
    """The team's saved scenarios side by side (a row each), with CSV export."""
    table = saved_frame(saved)
    if table.empty:
        st.info(
            f"No saved scenario for team {team} yet: set the growth above, name it and press "
            "**Save team scenario**.",
            icon=":material/bookmark:",
        )
        return
    tables.grid(
        table,
        column_config={
            "growth_pct": st.column_config.NumberColumn(
                SAVED_COLUMNS["growth_pct"], format="%+.0f %%"
            ),
            "keep_whole_usd": st.column_config.NumberColumn(
                SAVED_COLUMNS["keep_whole_usd"], format="%,.0f"
            ),
        }
        | {
            key: st.column_config.TextColumn(label)
            for key, label in SAVED_COLUMNS.items()
            if key not in ("growth_pct", "keep_whole_usd")
        },
        hide_index=True,
        key="sim_team_saved_table",
    )
    downloads.csv_button(
        "Export saved scenarios (CSV)",
        lambda: table.rename(columns=SAVED_COLUMNS),
        file_name=f"tightrope-team-{team}-scenarios.csv",
        key="sim_team_saved_export",
    )
