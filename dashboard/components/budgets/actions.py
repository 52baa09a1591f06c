"""Budget and anomaly actions from the page's buttons: one call into data.budget_actions each.

Through dashboard.actions' outcome: buttons call these from their on_click callbacks (before
the script reruns), the outcome is kept (actions.keep) and shown once at the top of the next
run, and every cache is cleared so the tables show the change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import streamlit as st

from dashboard import actions, deps
from data.budget_actions import BudgetDesk
from data.errors import DataError, InvalidInput
from data.repos.budgets import NewBudget


def create(keys: dict[str, str]) -> None:
    """Create from the dialog's widgets (`keys`: scope_type, scope_key, month, amount, currency)."""
    state = st.session_state

    def call(desk: BudgetDesk, now: datetime) -> str:
        draft = NewBudget(
            scope_type=str(state.get(keys["scope_type"], "")),
            scope_key=str(state.get(keys["scope_key"]) or ""),
            month=_month(state.get(keys["month"])),
            amount=_amount(state.get(keys["amount"])),
            currency=str(state.get(keys["currency"]) or ""),
        )
        budget = desk.create(actions.actor(), draft, now=now)
        scope = f"{budget.scope_type} {budget.scope_key}"
        return f"Budget #{budget.id} created: {scope}, {budget.month:%B %Y}."

    _run(call)


def update(budget_id: int, version: int, amount_key: str) -> None:
    def call(desk: BudgetDesk, now: datetime) -> str:
        amount = _amount(st.session_state.get(amount_key))
        budget = desk.update(
            actions.actor(), budget_id, expected_version=version, amount=amount, now=now
        )
        return f"Budget #{budget.id} is now {budget.amount:,.2f} {budget.currency}."

    _run(call)


def delete(budget_id: int, version: int) -> None:
    def call(desk: BudgetDesk, now: datetime) -> str:
        desk.delete(actions.actor(), budget_id, expected_version=version, now=now)
        return f"Budget #{budget_id} deleted."

    _run(call)


def acknowledge(anomaly_id: int) -> None:
    def call(desk: BudgetDesk, now: datetime) -> str:
        desk.acknowledge(actions.actor(), anomaly_id, now=now)
        return f"Anomaly #{anomaly_id} acknowledged."

    _run(call)


def _run(call: Callable[[BudgetDesk, datetime], str]) -> None:
    desk = BudgetDesk(deps.sessions(), actions.policy())
    try:
        actions.keep(actions.Feedback("success", call(desk, deps.now())))
    except DataError as error:
        actions.keep(actions.refused(error))
    finally:
        deps.data_changed()  # the write moved the data version (decision 031)


def _month(value: object) -> date:
    if not isinstance(value, date):
        raise InvalidInput("pick the month the budget is for")
    return value


def _amount(value: object) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput("enter the budget amount") from None
