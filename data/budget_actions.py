"""What users do on the Budgets page: edit budgets, acknowledge anomalies — role check first,
then one transaction that commits the change with its audit event or nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from data.errors import Conflict
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
        self._sessions = sessions
        self._policy = policy

    def create(self, actor: str, draft: NewBudget, *, now: datetime) -> Budget:
        self._policy.require(actor, EDIT_BUDGETS, action="creating a budget")
        return self._run(lambda s: budgets.create_budget(s, draft, actor=actor, now=_utc(now)))

    def update(
        self, actor: str, budget_id: int, *, expected_version: int, amount: Decimal, now: datetime
    ) -> Budget:
        self._policy.require(actor, EDIT_BUDGETS, action="editing a budget")
        return self._run(
            lambda s: budgets.update_budget(
                s, budget_id, expected_version=expected_version, amount=amount, actor=actor,
                now=_utc(now),
            )
        )  # fmt: skip

    def delete(self, actor: str, budget_id: int, *, expected_version: int, now: datetime) -> None:
        self._policy.require(actor, EDIT_BUDGETS, action="deleting a budget")
        self._run(
            lambda s: budgets.delete_budget(
                s, budget_id, expected_version=expected_version, actor=actor, now=_utc(now)
            )
        )

    def acknowledge(self, actor: str, anomaly_id: int, *, now: datetime) -> None:
        self._policy.require(actor, ACKNOWLEDGE, action="acknowledging an anomaly")
        self._run(lambda s: anomalies.acknowledge(s, anomaly_id, actor=actor, now=_utc(now)))

    def _run(self, action: Callable[[Session], T]) -> T:
        try:
            with self._sessions.begin() as session:
                return action(session)
        except IntegrityError as error:
            # Two people creating the same scope/month/currency at once: the unique key decides.
            raise Conflict(
                "someone saved the same budget at the same time, review again"
            ) from error


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass an aware UTC datetime")
    return moment.astimezone(UTC)
