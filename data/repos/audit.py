"""The audit trail's one writer: append an event, never update or delete one."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from data.audit_chain import GENESIS_HASH, AuditFields, as_stored, event_hash
from data.models import AuditEventRow, RecommendationRow

TargetType = Literal[
    "recommendation",
    "config_change",
    "budget",
    "cost_anomaly",
    "simulation",
    "job_request",
    "ingested_file",
    "app_user",
    "kube_workload",
    "webhook_delivery",
    "api_key",
]

# pg_advisory_xact_lock key of the chain head, derived like the job locks' keys
# (jobs/locks.py) from a name of its own.
AUDIT_CHAIN_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"tightrope.audit_chain").digest()[:8], "big", signed=True
)


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    target: tuple[TargetType, int | str],
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    detail: dict[str, Any],
    now: datetime,
) -> None:
    """Append one audit event in the caller's transaction (it commits or vanishes with it),
    chained to the newest event: the chain head stays locked until that transaction ends."""
    target_type, target_id = target
    fields = AuditFields(
        at=now,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=as_stored(before),
        after=as_stored(after),
        detail=as_stored(detail) or {},
    )
    prev_hash = _lock_chain_head(session)
    session.add(
        AuditEventRow(**asdict(fields), prev_hash=prev_hash, hash=event_hash(fields, prev_hash))
    )


def _lock_chain_head(session: Session) -> str:
    """Serialize appenders, then read the newest event's hash. PostgreSQL: an advisory lock
    held to the end of the transaction. SQLite: the database write lock, taken now by a
    statement that writes nothing, since the driver opens the transaction only at the first
    write, and a head read before it could be stale by the time the INSERT runs (as in
    data.repos.job_requests)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(AUDIT_CHAIN_LOCK_KEY)))
    else:
        session.execute(text("DELETE FROM audit_event WHERE 0"))
    head = session.scalar(select(AuditEventRow.hash).order_by(AuditEventRow.id.desc()).limit(1))
    return head or GENESIS_HASH


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
