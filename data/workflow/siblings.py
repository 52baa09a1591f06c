"""After an apply, the service's other open proposals describe a config that is gone: supersede."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import RecommendationRow
from data.repos.audit import record_status_change
from data.repos.recommendations import SUPERSEDED
from data.workflow.states import DECIDABLE

WORKFLOW_ACTOR = "system:workflow"


def supersede_siblings(
    session: Session, service_id: int, *, applied_id: int, now: datetime
) -> list[int]:
    """Mark the service's other open or postponed recommendations superseded, one audit event
    each (actor system:workflow), in the caller's transaction; returns their ids.

    They were computed from the config the apply just replaced, so applying one would only be
    refused as drift; recompute proposes afresh from the new config. Their versions bump, so a
    reviewer holding one gets a conflict rather than a silent change.
    """
    siblings = session.scalars(
        select(RecommendationRow)
        .where(RecommendationRow.service_id == service_id)
        .where(RecommendationRow.status.in_(DECIDABLE))
        .where(RecommendationRow.id != applied_id)
        .order_by(RecommendationRow.id)
        # A sibling another reviewer is deciding right now is skipped, not waited for: both
        # would wait on each other's row. Its own apply then fails on drift and rolls back.
        .with_for_update(skip_locked=True)
    ).all()
    left = {row.id: row.status for row in siblings}
    for row in siblings:
        row.status, row.updated_at = SUPERSEDED, now
        row.decided_by, row.decided_at = WORKFLOW_ACTOR, now
    session.flush()  # the version checks run here, before the events are recorded
    for row in siblings:
        record_status_change(
            session, row, left=left[row.id], actor=WORKFLOW_ACTOR, action="supersede", now=now,
            reason=f"recommendation {applied_id} was applied",
        )  # fmt: skip
    return [row.id for row in siblings]
