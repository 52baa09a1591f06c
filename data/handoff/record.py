"""The hand-off row, written in the transaction of the apply or rollback it hands off.

Only rows and pure checks here: the git work happens after commit (data.handoff.runner), so a
slow or failing repository never holds the apply's locks or rolls the apply back.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Final

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.errors import InvalidPatch
from data.handoff import kube_patch
from data.handoff.evidence import evidence, vm_change
from data.handoff.schemas import validate_patch
from data.models import (
    ConfigChangeRow,
    HandoffRow,
    KubeContainerRow,
    KubeHpaRow,
    KubeWorkloadRow,
    OutboxEventRow,
    RecommendationRow,
    ServiceRow,
)
from engine.capacity import CapacityConfig

PENDING: Final = "pending"
FAILED: Final = "failed"
DEFAULT_KUBERNETES_VERSION: Final = "1.33"


def record_handoff(
    session: Session,
    change: ConfigChangeRow,
    rec: RecommendationRow | None,
    *,
    action: str,
    now: datetime,
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION,
) -> HandoffRow:
    """A pending hand-off of `change` (action "apply" or "rollback"), its patch validated.

    An invalid patch does not stop the apply (the change is recorded either way): the row is
    `failed` with the schema's reason and no retry, since trying again cannot fix it."""
    service = session.get_one(ServiceRow, change.service_id)
    found = evidence(rec, change, service, action)
    row = HandoffRow(
        change_id=change.id, recommendation_id=change.recommendation_id, action=action,
        target=str(change.after.get("platform", service.platform)),
        status=PENDING, service=service.slug, manifest="", evidence=found,
        outbox_event_id=_event_id(session, change, rec, action), attempts=0,
        next_attempt_at=now, created_at=now, updated_at=now,
    )  # fmt: skip
    try:
        row.manifest, snapshot = _manifest(session, change, service, action, kubernetes_version)
        found["workload"] = snapshot
    except InvalidPatch as invalid:
        row.status, row.last_error, row.next_attempt_at = FAILED, str(invalid), None
    session.add(row)
    session.flush()
    return row


def _manifest(
    session: Session, change: ConfigChangeRow, service: ServiceRow, action: str, version: str
) -> tuple[str, dict[str, Any] | None]:
    before, after = CapacityConfig(**change.before), CapacityConfig(**change.after)
    if action == "rollback":
        before, after = after, before
    if after.platform != "kubernetes":
        return vm_change(service, before, after), None
    workload = _workload(session, change, service, action)
    if workload is None:
        raise InvalidPatch(f"{service.name} has no discovered workload to patch")
    if action == "rollback":  # restore the workload as the apply found it, exactly
        documents = kube_patch.rollback_patches(workload, after, before)
    else:
        documents = kube_patch.patches(workload, before, after)
    for document in documents:
        validate_patch(document, version)
    return yaml.safe_dump_all(documents, sort_keys=False), dataclasses.asdict(workload)


def _workload(
    session: Session, change: ConfigChangeRow, service: ServiceRow, action: str
) -> kube_patch.Workload | None:
    """The apply's workload as the inventory has it; a rollback's as its apply found it."""
    if action == "rollback":
        applied = session.scalar(
            select(HandoffRow.evidence).where(
                HandoffRow.change_id == change.id, HandoffRow.action == "apply"
            )
        )
        if applied and applied.get("workload"):
            return _from_snapshot(applied["workload"])
    return _inventory(session, service.id)


def _inventory(session: Session, service_id: int) -> kube_patch.Workload | None:
    row = session.scalar(
        select(KubeWorkloadRow)
        .where(KubeWorkloadRow.service_id == service_id)
        .order_by(KubeWorkloadRow.active.desc(), KubeWorkloadRow.id)
        .limit(1)
    )
    if row is None:
        return None
    containers = session.scalars(
        select(KubeContainerRow)
        .where(KubeContainerRow.workload_id == row.id)
        .order_by(KubeContainerRow.name)
    )
    hpa = session.scalar(select(KubeHpaRow).where(KubeHpaRow.workload_id == row.id))
    return kube_patch.Workload(
        namespace=row.namespace, kind=row.kind, name=row.name,
        containers=tuple(kube_patch.Container(
            c.name, c.cpu_request_cores, c.memory_request_gib, c.cpu_limit_cores,
            c.memory_limit_gib) for c in containers),
        hpa=kube_patch.Hpa(hpa.name, hpa.min_replicas, hpa.max_replicas) if hpa else None,
    )  # fmt: skip


def _from_snapshot(stored: dict[str, Any]) -> kube_patch.Workload:
    hpa = stored.get("hpa")
    return kube_patch.Workload(
        namespace=stored["namespace"], kind=stored["kind"], name=stored["name"],
        containers=tuple(kube_patch.Container(**c) for c in stored["containers"]),
        hpa=kube_patch.Hpa(**hpa) if hpa else None,
    )  # fmt: skip


def _event_id(
    session: Session, change: ConfigChangeRow, rec: RecommendationRow | None, action: str
) -> int | None:
    """The webhook event of the same change, written earlier in this transaction."""
    key = f"rollback:{change.id}" if action == "rollback" else None
    if action == "apply" and rec is not None:
        key = f"apply:{rec.id}:{rec.version}"
    if key is None:
        return None
    return session.scalar(select(OutboxEventRow.id).where(OutboxEventRow.dedupe_key == key))
