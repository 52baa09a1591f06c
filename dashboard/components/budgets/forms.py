"""Dialogs that create, edit and delete a budget; buttons locked (and saying why) by role."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard import actions
from dashboard.components import formats
from dashboard.components.budgets import actions as budgets_actions
from data.budget_actions import EDIT_BUDGETS

CREATE_KEYS = {
    "scope_type": "bud_new_scope_type",
    "scope_key": "bud_new_scope_key",
    "month": "bud_new_month",
    "amount": "bud_new_amount",
    "currency": "bud_new_currency",
}


def refusal() -> str | None:
    return actions.refusal(EDIT_BUDGETS, "editing budgets")


@st.dialog("New budget")
def create_dialog(
    scopes: dict[str, list[str]], months: list[date], month: date, currency: str
) -> None:
    scope_type = st.radio(
        "Budget for",
        ["team", "service"],
        format_func=lambda s: "A team" if s == "team" else "A service",
        key=CREATE_KEYS["scope_type"],
        horizontal=True,
    )
    st.selectbox(
        "Team" if scope_type == "team" else "Service (slug)",
        scopes[scope_type],
        key=CREATE_KEYS["scope_key"],
        placeholder="Pick one",
    )
    st.selectbox(
        "Month",
        months,
        index=months.index(month),
        format_func=lambda m: f"{m:%B %Y}",
        key=CREATE_KEYS["month"],
    )
    left, right = st.columns([2, 1])
    left.number_input(
        "Amount",
        min_value=0.0,
        value=None,
        step=100.0,
        key=CREATE_KEYS["amount"],
        placeholder="e.g. 5000",
    )
    right.text_input("Currency", value=currency, max_chars=3, key=CREATE_KEYS["currency"])
    st.caption(
        "Judged on effective cost in this currency only; costs in other currencies do not count."
    )
    actions.confirm_button(
        "Create budget",
        key="bud_new_confirm",
        primary=True,
        icon=":material/add:",
        on_click=budgets_actions.create,
        args=(CREATE_KEYS,),
    )


@st.dialog("Edit budget")
def edit_dialog(row: pd.Series) -> None:
    currency = str(row["currency"])
    st.markdown(
        f"**{formats.escape_markdown(str(row['scope']))}** — {row['month']:%B %Y}, now "
        f"{formats.money(float(row['amount']), currency, decimals=2)}; month to date "
        f"{formats.money(float(row['month_to_date']), currency)}, forecast "
        f"{formats.money(float(row['forecast']), currency)}."
    )
    st.number_input(
        f"New amount ({currency})",
        min_value=0.0,
        value=float(row["amount"]),
        step=100.0,
        key="bud_edit_amount",
    )
    left, right = st.columns(2)
    left.button(
        "Save",
        key="bud_edit_confirm",
        type="primary",
        icon=":material/save:",
        on_click=budgets_actions.update,
        args=(int(row["budget_id"]), int(row["version"]), "bud_edit_amount"),
    )
    right.button(
        "Delete budget",
        key="bud_delete_confirm",
        icon=":material/delete:",
        on_click=budgets_actions.delete,
        args=(int(row["budget_id"]), int(row["version"])),
        help="Removes the budget and its alert; the audit trail keeps a record.",
    )
    actions.close_dialog_when_done()
