"""Loading a recommendation for a decision and writing its new status under the version check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from data import outbox_events
from data.errors import Conflict, NotFound, RecommendationChanged
from data.models import RecommendationRow
from data.repos.audit import record_event
from data.workflow.states import Decision, check_decision


def load_for_decision(
    session: Session, recommendation_id: int, *, expected_version: int
) -> RecommendationRow:
    """The row, if it still has the version the reviewer saw; Conflict or NotFound otherwise."""
    row = session.get(RecommendationRow, recommendation_id)
    if row is None:
        raise NotFound(f"recommendation {recommendation_id} does not exist")
    if row.version != expected_version:
        raise Conflict(conflict_message(row))
    return row


def mark_decided(row: RecommendationRow, decision: Decision, *, actor: str, now: datetime) -> str:
    """Move the row to the decision's status (not flushed yet); returns the status it left.

    Any decision but a new postponement ends the current one.
    """
    left = row.status
    row.status = check_decision(row.id, left, decision)
    row.decided_by = actor
    row.decided_at = now
    row.updated_at = now
    if decision != "postpone":
        row.postponed_until = None
    return left


def record_decision(
    session: Session,
    row: RecommendationRow,
    decision: Decision,
    *,
    before: dict[str, Any],
    after: dict[str, Any],
    detail: dict[str, Any],
    actor: str,
    now: datetime,
) -> None:
    """The decision's one audit event, on the recommendation, carrying its new version, and
    its webhook event (first, so a failing audit write is seen to roll both back)."""
    outbox_events.recommendation_decided(session, row, decision, actor=actor, now=now)
    record_event(
        session,
        actor=actor,
        action=decision,
        target=("recommendation", row.id),
        before=before,
        after=after,
        detail={"version": row.version, **detail},
        now=now,
    )


def flush_decision(session: Session, row: RecommendationRow) -> None:
    """Write the row now: the version-checked UPDATE is the transaction's first write.

    Taking the write lock first serializes concurrent actions on SQLite and makes a concurrent
    PostgreSQL writer wait here, then see the new version and lose.
    """
    recommendation_id = row.id  # a failed flush expires the row: read it before
    try:
        session.flush()
    except StaleDataError as error:
        raise RecommendationChanged(recommendation_id) from error


def conflict_message(row: RecommendationRow) -> str:
    who = row.decided_by or "recompute"
    return (
        f"recommendation {row.id} was changed by {who} at "
        f"{row.updated_at:%Y-%m-%d %H:%M UTC}, review again"
    )
