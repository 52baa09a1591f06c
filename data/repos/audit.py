"""The audit trail's one writer: append an event, never update or delete one."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from data.models import AuditEventRow, RecommendationRow

TargetType = Literal[
    "recommendation",
    "config_change",
    "budget",
    "cost_anomaly",
    "simulation",
    "job_request",
    "ingested_file",
]


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    target: tuple[TargetType, int],
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    detail: dict[str, Any],
    now: datetime,
) -> None:
    """Append one audit event in the caller's transaction (it commits or vanishes with it)."""
    target_type, target_id = target
    session.add(
        AuditEventRow(
            at=now,
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            before=before,
            after=after,
            detail=detail,
        )
    )


def record_status_change(
    session: Session,
    row: RecommendationRow,
    *,
    left: str,
    actor: str,
    action: str,
    now: datetime,
    **detail: Any,
) -> None:
    """One event for a system transition of a recommendation (supersede, expire): the status
    it left, the one it has now, its new version and service, and any extra `detail`."""
    record_event(
        session,
        actor=actor,
        action=action,
        target=("recommendation", row.id),
        before={"status": left},
        after={"status": row.status},
        detail={"version": row.version, "service_id": row.service_id, **detail},
        now=now,
    )
