"""What users do on the Budgets page: edit budgets, acknowledge anomalies — role check first,
then one transaction that commits the change with its audit event or nothing (data.guard)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from data.clock import utc
from data.errors import Conflict
from data.guard import NO_ID, Attempt, Guard
from data.repos import anomalies, budgets
from data.repos.budgets import Budget, NewBudget
from data.settings import Role
from data.workflow import WorkflowPolicy

T = TypeVar("T")
# A budget commits money: approvers own it. Acknowledging an anomaly only says "seen".
EDIT_BUDGETS: Role = "approver"
ACKNOWLEDGE: Role = "analyst"


class BudgetDesk:
    """`desk = BudgetDesk(sessions, policy)`, cheap per call; every method raises Forbidden
    (nothing written), InvalidInput, NotFound or Conflict as a `data.errors.DataError`."""

    def __init__(self, sessions: sessionmaker[Session], policy: WorkflowPolicy) -> None:
        self._guard = Guard(sessions, policy)

    def create(self, actor: str, draft: NewBudget, *, now: datetime) -> Budget:
        attempt = Attempt(
            "budget_create", EDIT_BUDGETS, ("budget", NO_ID), doing="creating a budget",
            detail={"scope_type": draft.scope_type, "scope_key": draft.scope_key},
        )  # fmt: skip
        return self._run(
            actor,
            attempt,
            now,
            lambda s: budgets.create_budget(s, draft, actor=actor, now=utc(now)),
        )

    def update(
        self, actor: str, budget_id: int, *, expected_version: int, amount: Decimal, now: datetime
    ) -> Budget:
        attempt = Attempt(
            "budget_update", EDIT_BUDGETS, ("budget", budget_id), doing="editing a budget"
        )
        return self._run(
            actor, attempt, now,
            lambda s: budgets.update_budget(
                s, budget_id, expected_version=expected_version, amount=amount, actor=actor,
                now=utc(now),
            ),
        )  # fmt: skip

    def delete(self, actor: str, budget_id: int, *, expected_version: int, now: datetime) -> None:
        attempt = Attempt(
            "budget_delete", EDIT_BUDGETS, ("budget", budget_id), doing="deleting a budget"
        )
        self._run(
            actor,
            attempt,
            now,
            lambda s: budgets.delete_budget(
                s, budget_id, expected_version=expected_version, actor=actor, now=utc(now)
            ),
        )

    def acknowledge(self, actor: str, anomaly_id: int, *, now: datetime) -> None:
        attempt = Attempt(
            "anomaly_acknowledge", ACKNOWLEDGE, ("cost_anomaly", anomaly_id),
            doing="acknowledging an anomaly",
        )  # fmt: skip
        self._run(
            actor, attempt, now,
            lambda s: anomalies.acknowledge(s, anomaly_id, actor=actor, now=utc(now)),
        )  # fmt: skip

    def _run(
        self, actor: str, attempt: Attempt, now: datetime, change: Callable[[Session], T]
    ) -> T:
        try:
            return self._guard.run(actor, attempt, now=now, change=change)
        except IntegrityError as error:
            # Two people creating the same scope/month/currency at once: the unique key decides.
            raise Conflict(
                "someone saved the same budget at the same time, review again"
            ) from error
