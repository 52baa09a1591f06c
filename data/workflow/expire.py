"""System transitions: recommendations whose inputs went stale expire, with an audit event each."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.models import RecommendationRow
from data.repos.audit import record_status_change
from data.repos.usage import latest_usage_hours
from data.workflow.states import DECIDABLE

EXPIRED = "expired"
SIDECAR_ACTOR = "system:sidecar"


def expire_stale(
    sessions: sessionmaker[Session],
    *,
    now: datetime,
    stale_after: timedelta,
    actor: str = SIDECAR_ACTOR,
) -> int:
    """Expire open or postponed service recommendations whose service has no usage newer than
    `now − stale_after` (telemetry stopped: the evidence no longer describes the service).

    One transaction; each expiry bumps the row's version (a reviewer's open page gets a
    conflict, not a silent change) and writes one audit event. Fleet-scope recommendations
    (commitments) have no service and never expire here. Returns how many expired.
    """
    cutoff = now - stale_after
    with sessions.begin() as session:
        fresh = latest_usage_hours(session)
        rows = session.scalars(
            select(RecommendationRow)
            .where(RecommendationRow.status.in_(DECIDABLE))
            .where(RecommendationRow.service_id.is_not(None))
            .order_by(RecommendationRow.id)
        ).all()
        stale = [
            r for r in rows if r.service_id is not None and _stale(fresh, r.service_id, cutoff)
        ]
        for row in stale:
            _expire(session, row, actor=actor, now=now, newest=fresh.get(row.service_id or 0))
    return len(stale)


def _stale(fresh: dict[int, datetime], service_id: int, cutoff: datetime) -> bool:
    newest = fresh.get(service_id)
    return newest is None or newest < cutoff


def _expire(
    session: Session, row: RecommendationRow, *, actor: str, now: datetime, newest: datetime | None
) -> None:
    left = row.status
    row.status = EXPIRED
    row.updated_at = now
    row.decided_by, row.decided_at = actor, now
    session.flush()  # the version check runs here, before the event is recorded
    since = newest.isoformat() if newest else "ever"
    record_status_change(
        session, row, left=left, actor=actor, action="expire", now=now,
        reason=f"no usage since {since}",
    )  # fmt: skip
