"""The audit trail's one writer: append an event, never update or delete one."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from data.models import AuditEventRow

TargetType = Literal["recommendation", "config_change"]


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
