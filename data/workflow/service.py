"""The workflow service pages and jobs call: role check, one transaction per action (data.guard)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from data.clock import utc
from data.errors import Conflict, RecommendationChanged
from data.guard import NO_ID, Attempt, Guard
from data.models import RecommendationRow
from data.settings import Role
from data.workflow import bulk, reject_postpone
from data.workflow.after_commit import HandoffStep, hand_off
from data.workflow.apply import apply_recommendation
from data.workflow.decision_steps import conflict_message
from data.workflow.outcome import Outcome
from data.workflow.policy import CHANGE, DECIDE, WorkflowPolicy
from data.workflow.rollback import rollback_change

T = TypeVar("T")
# PostgreSQL's "try again" errors (deadlock, serialization, lock not available): the lock order
# of the workflow should prevent them, and if one still happens the reviewer just retries.
RETRYABLE_PGCODES = frozenset({"40P01", "40001", "55P03"})


class Workflow:
    """Every decision on a recommendation: `flow = Workflow(sessions, policy)`, cheap per call.

    Each method checks the actor's role first (Forbidden after a "denied" audit event, nothing
    else written), then runs in ONE transaction that either commits the whole change with its
    audit event or nothing.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        policy: WorkflowPolicy,
        handoff: HandoffStep | None = None,
    ) -> None:
        self._sessions = sessions
        self._policy = policy
        self._guard = Guard(sessions, policy)
        self._handoff = handoff  # run after an apply or rollback commits (decision 023)

    def role_of(self, actor: str) -> Role:
        return self._policy.role_of(actor)

    def apply(
        self, actor: str, recommendation_id: int, *, expected_version: int, now: datetime
    ) -> Outcome:
        outcome = self._run(
            actor,
            Attempt("apply", CHANGE, ("recommendation", recommendation_id)),
            now,
            lambda session: apply_recommendation(
                session,
                recommendation_id,
                expected_version=expected_version,
                actor=actor,
                now=utc(now),
            ),
        )
        return hand_off(self._sessions, self._handoff, [outcome], now=utc(now))[0]

    def reject(
        self,
        actor: str,
        recommendation_id: int,
        *,
        expected_version: int,
        reason: str,
        now: datetime,
    ) -> Outcome:
        return self._run(
            actor,
            Attempt("reject", DECIDE, ("recommendation", recommendation_id)),
            now,
            lambda session: reject_postpone.reject(
                session,
                recommendation_id,
                expected_version=expected_version,
                reason=reason,
                actor=actor,
                now=utc(now),
                cooldown=self._policy.cooldown,
            ),
        )

    def postpone(
        self,
        actor: str,
        recommendation_id: int,
        *,
        expected_version: int,
        until: datetime,
        now: datetime,
    ) -> Outcome:
        return self._run(
            actor,
            Attempt("postpone", DECIDE, ("recommendation", recommendation_id)),
            now,
            lambda session: reject_postpone.postpone(
                session,
                recommendation_id,
                expected_version=expected_version,
                until=utc(until),
                actor=actor,
                now=utc(now),
            ),
        )

    def rollback(
        self, actor: str, change_id: int, *, now: datetime, reason: str | None = None
    ) -> Outcome:
        outcome = self._run(
            actor,
            Attempt("rollback", CHANGE, ("config_change", change_id)),
            now,
            lambda session: rollback_change(
                session,
                change_id,
                actor=actor,
                now=utc(now),
                reason=reject_postpone.optional_reason(reason),
                cooldown=self._policy.cooldown,
            ),
        )
        return hand_off(self._sessions, self._handoff, [outcome], now=utc(now))[0]

    def bulk_apply(
        self, actor: str, expected_versions: Mapping[int, int], *, now: datetime
    ) -> list[Outcome]:
        ids = sorted(expected_versions)
        outcomes = self._run(
            actor,
            Attempt(
                "bulk_apply",
                CHANGE,
                ("recommendation", NO_ID),
                doing="bulk apply",
                detail={"recommendation_ids": ids},
            ),
            now,
            lambda session: bulk.bulk_apply(
                session, expected_versions, policy=self._policy, actor=actor, now=utc(now)
            ),
            prefix=bulk.stopped_at,
        )
        return hand_off(self._sessions, self._handoff, outcomes, now=utc(now))

    def _run(
        self,
        actor: str,
        attempt: Attempt,
        now: datetime,
        action: Callable[[Session], T],
        prefix: Callable[[int], str] | None = None,
    ) -> T:
        try:
            return self._guard.run(actor, attempt, now=now, change=action)
        except RecommendationChanged as stale:
            message = self._conflict_message(stale.recommendation_id)
            lead = f"{prefix(stale.recommendation_id)}: " if prefix else ""
            raise Conflict(lead + message) from stale
        except DBAPIError as error:
            if getattr(error.orig, "pgcode", None) not in RETRYABLE_PGCODES:
                raise
            raise Conflict("a concurrent change got in the way, review again") from error

    def _conflict_message(self, recommendation_id: int) -> str:
        """Who won, read after our transaction rolled back."""
        with self._sessions() as session:
            row = session.get(RecommendationRow, recommendation_id)
            if row is None:
                return f"recommendation {recommendation_id} was deleted, review again"
            return conflict_message(row)
