"""Read side of the workflow: applied config changes and the audit trail, newest first."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import AuditEventRow, ConfigChangeRow, ServiceRow
from data.repos.app_users import display_names
from engine.capacity import CapacityConfig

DEFAULT_LIMIT = 200


@dataclass(frozen=True, slots=True)
class ConfigChange:
    """One applied config change of a service, with its rollback if any."""

    id: int
    service_id: int
    service_slug: str
    recommendation_id: int | None
    before: CapacityConfig
    after: CapacityConfig
    status: str
    actor: str
    reason: str | None
    applied_at: datetime
    rolled_back_at: datetime | None
    rolled_back_by: str | None
    # The e-mail (or name) the actor logged in with; "" for actors that never logged in.
    actor_display: str = ""
    rolled_back_by_display: str = ""


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One audit event: who did what to which target, with before/after state as JSON."""

    id: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: dict[str, Any]
    actor_display: str = ""  # the e-mail (or name) the actor logged in with, if they did


def list_changes(
    session: Session,
    service_id: int | None = None,
    status: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[ConfigChange]:
    """Config changes, newest applied first, optionally of one service or one status."""
    query = (
        select(ConfigChangeRow, ServiceRow.slug)
        .join(ServiceRow, ServiceRow.id == ConfigChangeRow.service_id)
        .order_by(ConfigChangeRow.applied_at.desc(), ConfigChangeRow.id.desc())
        .limit(limit)
    )
    if service_id is not None:
        query = query.where(ConfigChangeRow.service_id == service_id)
    if status is not None:
        query = query.where(ConfigChangeRow.status == status)
    found = [_change(row, slug) for row, slug in session.execute(query)]
    names = display_names(
        session, [c.actor for c in found] + [c.rolled_back_by for c in found if c.rolled_back_by]
    )
    return [
        replace(
            change,
            actor_display=names.get(change.actor, ""),
            rolled_back_by_display=names.get(change.rolled_back_by or "", ""),
        )
        for change in found
    ]


def list_audit_events(
    session: Session,
    actor: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    since: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[AuditEvent]:
    """Audit events, newest first, filtered by actor, action, target type and start time."""
    query = select(AuditEventRow).order_by(AuditEventRow.at.desc(), AuditEventRow.id.desc())
    if actor is not None:
        query = query.where(AuditEventRow.actor == actor)
    if action is not None:
        query = query.where(AuditEventRow.action == action)
    if target_type is not None:
        query = query.where(AuditEventRow.target_type == target_type)
    if since is not None:
        query = query.where(AuditEventRow.at >= since)
    found = [_event(row) for row in session.scalars(query.limit(limit))]
    names = display_names(session, [event.actor for event in found])
    return [replace(event, actor_display=names.get(event.actor, "")) for event in found]


def _change(row: ConfigChangeRow, slug: str) -> ConfigChange:
    return ConfigChange(
        id=row.id,
        service_id=row.service_id,
        service_slug=slug,
        recommendation_id=row.recommendation_id,
        before=CapacityConfig(**row.before),
        after=CapacityConfig(**row.after),
        status=row.status,
        actor=row.actor,
        reason=row.reason,
        applied_at=row.applied_at,
        rolled_back_at=row.rolled_back_at,
        rolled_back_by=row.rolled_back_by,
    )


def _event(row: AuditEventRow) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        before=row.before,
        after=row.after,
        detail=row.detail,
    )
