"""The workflow service pages and jobs call: role check, one transaction per action."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from data.errors import Conflict
from data.models import RecommendationRow
from data.settings import Role
from data.workflow import bulk, decisions
from data.workflow.apply import apply_recommendation
from data.workflow.decision import StaleRecommendation, conflict_message
from data.workflow.outcome import Outcome
from data.workflow.policy import CHANGE, DECIDE, WorkflowPolicy
from data.workflow.rollback import rollback_change

T = TypeVar("T")
# PostgreSQL's "try again" errors (deadlock, serialization, lock not available): the lock order
# of the workflow should prevent them, and if one still happens the reviewer just retries.
RETRYABLE_PGCODES = frozenset({"40P01", "40001", "55P03"})


class Workflow:
    """Every decision on a recommendation: `flow = Workflow(sessions, policy)`, cheap per call.

    Each method checks the actor's role first (Forbidden, nothing written), then runs in ONE
    transaction that either commits the whole change with its audit event or nothing.
    """

    def __init__(self, sessions: sessionmaker[Session], policy: WorkflowPolicy) -> None:
        self._sessions = sessions
        self._policy = policy

    def role_of(self, actor: str) -> Role:
        return self._policy.role_of(actor)

    def apply(
        self, actor: str, recommendation_id: int, *, expected_version: int, now: datetime
    ) -> Outcome:
        self._policy.require(actor, CHANGE, action="apply")
        return self._run(
            lambda session: apply_recommendation(
                session,
                recommendation_id,
                expected_version=expected_version,
                actor=actor,
                now=_utc(now),
            )
        )

    def reject(
        self,
        actor: str,
        recommendation_id: int,
        *,
        expected_version: int,
        reason: str,
        now: datetime,
    ) -> Outcome:
        self._policy.require(actor, DECIDE, action="reject")
        return self._run(
            lambda session: decisions.reject(
                session,
                recommendation_id,
                expected_version=expected_version,
                reason=reason,
                actor=actor,
                now=_utc(now),
                cooldown=self._policy.cooldown,
            )
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
        self._policy.require(actor, DECIDE, action="postpone")
        return self._run(
            lambda session: decisions.postpone(
                session,
                recommendation_id,
                expected_version=expected_version,
                until=_utc(until),
                actor=actor,
                now=_utc(now),
            )
        )

    def rollback(
        self, actor: str, change_id: int, *, now: datetime, reason: str | None = None
    ) -> Outcome:
        self._policy.require(actor, CHANGE, action="rollback")
        text = decisions.optional_reason(reason)
        return self._run(
            lambda session: rollback_change(
                session,
                change_id,
                actor=actor,
                now=_utc(now),
                reason=text,
                cooldown=self._policy.cooldown,
            )
        )

    def bulk_apply(
        self, actor: str, expected_versions: Mapping[int, int], *, now: datetime
    ) -> list[Outcome]:
        self._policy.require(actor, CHANGE, action="bulk apply")
        return self._run(
            lambda session: bulk.bulk_apply(
                session, expected_versions, policy=self._policy, actor=actor, now=_utc(now)
            ),
            prefix=bulk.stopped_at,
        )

    def _run(self, action: Callable[[Session], T], prefix: Callable[[int], str] | None = None) -> T:
        try:
            with self._sessions.begin() as session:
                return action(session)
        except StaleRecommendation as stale:
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


def _utc(moment: datetime) -> datetime:
    """The moment in UTC; a naive datetime is refused (its zone is a guess)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass an aware UTC datetime")
    return moment.astimezone(UTC)
