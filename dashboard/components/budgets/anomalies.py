"""Cost anomalies: the table (service, day, cost vs baseline, z, drivers), acknowledge, export."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import actions
from dashboard.components import downloads, formats, tables
from dashboard.components.budgets import actions as budgets_actions
from data.budget_actions import ACKNOWLEDGE

STATUS_LABELS = {"open": "● Open", "acknowledged": "✓ Acknowledged"}
DIRECTION_LABELS = {"spike": "▲ Spike", "drop": "▼ Drop"}
_EXPORT = {
    "charge_date": "Charge date",
    "service": "Service",
    "team": "Team",
    "billing_currency": "Currency",
    "effective_cost": "Effective cost",
    "baseline_cost": "Baseline (28-day median)",
    "robust_z": "Robust z",
    "direction": "Direction",
    "drivers_text": "Drivers",
    "status": "Status",
    "acknowledged_by": "Acknowledged by",
}


def anomalies_frame(found: pd.DataFrame) -> pd.DataFrame:
    """The stored anomalies with their drivers and labels in words."""
    if found.empty:
        return found.assign(drivers_text=pd.Series(dtype=str), status_label=pd.Series(dtype=str))
    return found.assign(
        drivers_text=[
            _drivers(d, str(c))
            for d, c in zip(found["drivers"], found["billing_currency"], strict=True)
        ],
        status_label=found["status"].map(STATUS_LABELS),
        direction_label=found["direction"].map(DIRECTION_LABELS),
    )


def show(frame: pd.DataFrame, *, since: date, today: date) -> None:
    if frame.empty:
        st.info(
            f"No cost anomaly since {since:%Y-%m-%d}. The sidecar's detect-anomalies job "
            "judges each service's daily cost against its 28-day median; anomalies appear "
            "here once it has run (Data sources → Run now).",
            icon=":material/query_stats:",
        )
        return
    tables.grid(
        frame,
        column_order=[
            "charge_date",
            "service",
            "direction_label",
            "effective_cost",
            "baseline_cost",
            "robust_z",
            "drivers_text",
            "status_label",
            "billing_currency",
        ],
        column_config=_columns(frame),
        hide_index=True,
        key="bud_anomaly_table",
    )
    _acknowledge_bar(frame, today)


def _columns(frame: pd.DataFrame) -> dict[str, Any]:
    money = tables.money_format(frame["billing_currency"])
    return {
        "charge_date": st.column_config.DateColumn("Day (UTC)", format="YYYY-MM-DD"),
        "service": st.column_config.TextColumn("Service"),
        "direction_label": st.column_config.TextColumn("Direction"),
        "effective_cost": st.column_config.NumberColumn("Cost that day", format=money),
        "baseline_cost": st.column_config.NumberColumn(
            "Baseline", format=money, help="Median daily cost of the 28 days before."
        ),
        "robust_z": st.column_config.NumberColumn(
            "Robust z",
            format="%.1f",
            help="0.6745 × (cost − median) ÷ MAD; |z| ≥ 3.5 flags the day.",
        ),
        "drivers_text": st.column_config.TextColumn(
            "What moved",
            width="large",
            help="Service categories whose own change explains the jump.",
        ),
        "status_label": st.column_config.TextColumn("Status"),
        "billing_currency": st.column_config.TextColumn("Currency"),
    }


def _acknowledge_bar(frame: pd.DataFrame, today: date) -> None:
    open_rows = frame[frame["status"] == "open"]
    columns = ["anomaly_id", "service", "charge_date", "effective_cost", "billing_currency"]
    labels = {
        int(aid): f"#{aid} · {service} · {day:%Y-%m-%d} · {formats.money(float(cost), str(cur))}"
        for aid, service, day, cost, cur in open_rows[columns].itertuples(index=False, name=None)
    }
    left, middle, right = st.columns([3, 1, 1], vertical_alignment="bottom")
    picked = left.selectbox(
        "Open anomaly", list(labels), format_func=lambda i: labels[i], key="bud_anomaly_pick",
        placeholder="None open", disabled=not labels,
    )  # fmt: skip
    refusal = actions.refusal(ACKNOWLEDGE, "acknowledging anomalies")
    middle.button(
        "Acknowledge",
        key="bud_anomaly_ack",
        icon=":material/done:",
        disabled=picked is None or refusal is not None,
        help=refusal or "Marks it seen (recorded in the audit trail); it stays listed.",
        on_click=budgets_actions.acknowledge,
        args=(int(picked or 0),),
        width="stretch",
    )
    downloads.csv_button(
        "Export anomalies (CSV)",
        lambda: frame[list(_EXPORT)].rename(columns=_EXPORT),
        file_name=f"tightrope-anomalies-{today:%Y-%m-%d}.csv",
        key="bud_anomaly_export",
        width="stretch",
        where=right,
    )
    if refusal:
        st.caption(refusal)


def _drivers(drivers: Any, currency: str) -> str:
    found = drivers.get("categories", []) if isinstance(drivers, dict) else []
    return (
        ", ".join(
            f"{d['category']} {'+' if d['delta_cost'] >= 0 else '-'}"
            f"{formats.money(abs(float(d['delta_cost'])), currency)} ({d['share_pct']:.0f} %)"
            for d in found
        )
        or "—"
    )
