"""Builders for guarded-service tests: the audit trail as tuples, and an audit write that fails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.models import AuditEventRow
from data.settings import Role
from data.workflow import WorkflowPolicy

ROLES: dict[str, Role] = {"vera": "viewer", "ana": "analyst", "apu": "approver"}
POLICY = WorkflowPolicy(roles=ROLES, local_actor="root")


def events(sessions: sessionmaker[Session]) -> list[tuple[str, str, str, str, dict[str, Any]]]:
    """Every audit event: (actor, action, target type, target id, detail), oldest first."""
    with sessions() as session:
        rows = session.scalars(select(AuditEventRow).order_by(AuditEventRow.id))
        return [(r.actor, r.action, r.target_type, r.target_id, dict(r.detail)) for r in rows]


def count(sessions: sessionmaker[Session], model: type[Any]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


class DiskFull(RuntimeError):
    """The failure injected after a change and its audit event reached the database."""


def failing_after(record: Callable[..., None]) -> Callable[..., None]:
    """`record_event` that writes the event, flushes the change and the event, then fails: what
    commits must be neither (the guard's one transaction)."""

    def record_then_fail(session: Session, **event: Any) -> None:
        record(session, **event)
        session.flush()
        raise DiskFull("the disk filled up after the audit event was written")

    return record_then_fail
