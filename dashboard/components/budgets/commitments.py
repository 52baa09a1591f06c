"""Commitment discounts: used vs unused EffectiveCost, utilization and coverage per commitment."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard.components import downloads, tables

_EXPORT = {
    "commitment_discount_id": "Commitment id",
    "commitment_discount_name": "Name",
    "commitment_discount_type": "Type",
    "billing_account_id": "Billing account",
    "billing_currency": "Currency",
    "used_effective_cost": "Used (effective cost)",
    "unused_effective_cost": "Unused (effective cost)",
    "utilization_pct": "Utilization (%)",
    "coverage_pct": "Coverage of compute usage (%)",
    "days": "Days charged",
}


def show(frame: pd.DataFrame, *, start: date, end: date) -> None:
    if frame.empty:
        st.info(
            f"No commitment discount charged between {start:%Y-%m-%d} and {end:%Y-%m-%d}. "
            "Commitments come from FOCUS billing exports with CommitmentDiscountId and "
            "CommitmentDiscountStatus columns: upload one on the Data sources page.",
            icon=":material/handshake:",
        )
        return
    money = tables.money_format(frame["billing_currency"])
    tables.grid(
        frame.assign(
            name=frame["commitment_discount_name"].fillna(frame["commitment_discount_id"])
        ),
        column_order=[
            "name",
            "commitment_discount_type",
            "used_effective_cost",
            "unused_effective_cost",
            "utilization_pct",
            "coverage_pct",
            "billing_currency",
            "billing_account_id",
        ],
        column_config={
            "name": st.column_config.TextColumn("Commitment"),
            "commitment_discount_type": st.column_config.TextColumn("Type"),
            "used_effective_cost": st.column_config.NumberColumn(
                "Used", format=money, help="Effective cost of the usage the commitment covered."
            ),
            "unused_effective_cost": st.column_config.NumberColumn(
                "Unused (waste)",
                format=money,
                help="Effective cost of commitment that covered nothing.",
            ),
            "utilization_pct": tables.percent_bar(
                "Utilization",
                help="Used ÷ (used + unused).",
            ),
            "coverage_pct": st.column_config.NumberColumn(
                "Coverage",
                format="%.1f %%",
                help="Used ÷ the account's compute usage (effective cost, unused commitment "
                "left out). Empty when there is no compute usage to compare with.",
            ),
            "billing_currency": st.column_config.TextColumn("Currency"),
            "billing_account_id": st.column_config.TextColumn("Billing account"),
        },
        hide_index=True,
        key="bud_commit_table",
    )
    downloads.csv_button(
        "Export commitments (CSV)",
        lambda: frame[list(_EXPORT)].rename(columns=_EXPORT),
        file_name=f"tightrope-commitments-{start:%Y-%m-%d}-{end:%Y-%m-%d}.csv",
        key="bud_commit_export",
    )
