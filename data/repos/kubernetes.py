"""The Kubernetes inventory: upsert what discovery found, retire what it no longer finds.

Writes only what differs from the stored rows, so a run that finds the same cluster changes
nothing (no UPDATE, no capacity version, no audit event)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.connectors.kube.specs import ContainerSpec, HpaSpec, NodeSpec, WorkloadSpec
from data.models import (
    KubeContainerRow,
    KubeHpaRow,
    KubeNodeRow,
    KubeWorkloadRow,
    ServiceRow,
)
from data.repos.services import NewService, add_services, current_config, set_capacity
from engine.capacity import CapacityConfig

Key = tuple[str, str, str, str]
_SERVICE_FIELDS = ("name", "team", "owner", "environment", "provider", "region",
                   "telemetry_selector")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Planned:
    """One workload to store: its spec, the service it becomes, its capacity, its cluster."""

    spec: WorkloadSpec
    service: NewService
    capacity: CapacityConfig
    cluster: str

    @property
    def key(self) -> Key:
        return self.cluster, self.spec.namespace, self.spec.kind, self.spec.name


@dataclass(frozen=True, slots=True)
class Changes:
    """What one discovery run changed; all zero when it found what was already stored."""

    created: int = 0
    updated: int = 0
    reactivated: int = 0
    retired: int = 0
    nodes_added: int = 0
    nodes_updated: int = 0
    nodes_retired: int = 0

    def any(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def store_workloads(
    session: Session, planned: Sequence[Planned], *, clusters: Iterable[str], actor: str,
    now: datetime,
) -> tuple[dict[str, int], list[tuple[Planned, str]]]:  # fmt: skip
    """Upsert `planned`, retire active workloads of `clusters` not in it. Returns counts by
    change and the workloads refused (a slug a hand-catalogued service already uses)."""
    rows = {_key(r): r for r in session.scalars(select(KubeWorkloadRow))}
    counts = {"created": 0, "updated": 0, "reactivated": 0, "retired": 0}
    refused, new = [], []
    taken = set(session.scalars(select(ServiceRow.slug)))
    for item in planned:
        row = rows.get(item.key)
        if row is None:
            if item.service.slug in taken:
                refused.append((item, f"slug {item.service.slug} is taken by another service"))
            else:
                new.append(item)
            continue
        if not row.active:
            counts["reactivated"] += 1
        elif _update(session, row, item, actor=actor, now=now):
            counts["updated"] += 1
        _activate(session, row, item, actor=actor, now=now)
    counts["created"] = _create(session, new, actor=actor, now=now)
    seen, wanted = {item.key for item in planned}, set(clusters)
    for key, row in rows.items():
        if row.active and key[0] in wanted and key not in seen:
            _retire(session, row, now=now)
            counts["retired"] += 1
    return counts, refused


def _create(session: Session, new: Sequence[Planned], *, actor: str, now: datetime) -> int:
    services = add_services(session, [item.service for item in new], now=now)
    for item, service in zip(new, services, strict=True):
        set_capacity(session, service.id, item.capacity, actor=actor, now=now)
        row = KubeWorkloadRow(
            service_id=service.id, cluster=item.cluster, namespace=item.spec.namespace,
            kind=item.spec.kind, name=item.spec.name, replicas=item.spec.replicas,
            labels=dict(item.spec.labels), active=True, first_seen_at=now, retired_at=None,
        )  # fmt: skip
        session.add(row)
        session.flush()
        _sync_containers(session, row.id, item.spec.containers)
        _sync_hpa(session, row.id, item.spec.hpa)
    return len(new)


def _update(session: Session, row: KubeWorkloadRow, item: Planned, *, actor: str,
            now: datetime) -> bool:  # fmt: skip
    """Bring an active workload up to date; True when anything differed."""
    changed = _assign(row, replicas=item.spec.replicas, labels=dict(item.spec.labels))
    service = session.get(ServiceRow, row.service_id)
    assert service is not None  # the foreign key cascades
    changed |= _assign(service, **{f: getattr(item.service, f) for f in _SERVICE_FIELDS})
    changed |= _sync_containers(session, row.id, item.spec.containers)
    changed |= _sync_hpa(session, row.id, item.spec.hpa)
    if current_config(session, row.service_id) != item.capacity:
        set_capacity(session, row.service_id, item.capacity, actor=actor, now=now)
        changed = True
    return changed


def _activate(session: Session, row: KubeWorkloadRow, item: Planned, *, actor: str,
              now: datetime) -> None:  # fmt: skip
    if row.active:
        return
    row.active, row.retired_at = True, None
    service = session.get(ServiceRow, row.service_id)
    assert service is not None
    service.active = True
    _update(session, row, item, actor=actor, now=now)


def _retire(session: Session, row: KubeWorkloadRow, *, now: datetime) -> None:
    row.active, row.retired_at = False, now
    service = session.get(ServiceRow, row.service_id)
    if service is not None:
        service.active = False


def _sync_containers(session: Session, workload_id: int, specs: Sequence[ContainerSpec]) -> bool:
    rows = {
        r.name: r
        for r in session.scalars(
            select(KubeContainerRow).where(KubeContainerRow.workload_id == workload_id)
        )
    }
    changed = False
    for spec in specs:
        values = {k: v for k, v in asdict(spec).items() if k != "name"}
        row = rows.pop(spec.name, None)
        if row is None:
            session.add(KubeContainerRow(workload_id=workload_id, name=spec.name, **values))
            changed = True
        else:
            changed |= _assign(row, **values)
    for gone in rows.values():
        session.delete(gone)
        changed = True
    return changed


def _sync_hpa(session: Session, workload_id: int, spec: HpaSpec | None) -> bool:
    row = session.scalar(select(KubeHpaRow).where(KubeHpaRow.workload_id == workload_id))
    if spec is None:
        if row is not None:
            session.delete(row)
        return row is not None
    if row is None:
        session.add(KubeHpaRow(workload_id=workload_id, **asdict(spec)))
        return True
    return _assign(row, **asdict(spec))


def store_nodes(
    session: Session, nodes: Sequence[tuple[str, NodeSpec]], *, clusters: Iterable[str],
    now: datetime,
) -> dict[str, int]:  # fmt: skip
    """Upsert (cluster, node) pairs; retire active nodes of `clusters` not among them."""
    rows = {(r.cluster, r.name): r for r in session.scalars(select(KubeNodeRow))}
    counts = {"nodes_added": 0, "nodes_updated": 0, "nodes_retired": 0}
    for cluster, node in nodes:
        values = {k: v for k, v in asdict(node).items() if k not in ("cluster_label", "name")}
        row = rows.get((cluster, node.name))
        if row is None:
            session.add(KubeNodeRow(cluster=cluster, name=node.name, active=True,
                                    first_seen_at=now, retired_at=None, **values))  # fmt: skip
            counts["nodes_added"] += 1
        elif _assign(row, active=True, retired_at=None, **values):
            counts["nodes_updated"] += 1
    seen, wanted = {(c, n.name) for c, n in nodes}, set(clusters)
    for key, row in rows.items():
        if row.active and key[0] in wanted and key not in seen:
            row.active, row.retired_at = False, now
            counts["nodes_retired"] += 1
    return counts


def _assign(row: Any, **values: Any) -> bool:
    """Set only attributes whose value differs; True when one did."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _key(row: KubeWorkloadRow) -> Key:
    return row.cluster, row.namespace, row.kind, row.name
