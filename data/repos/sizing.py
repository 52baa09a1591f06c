"""Per-container sizing statistics of discovered workloads, and the workloads to collect."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from data.connectors.kube.shards import WorkloadTarget
from data.connectors.prometheus.mapping import WorkloadMapping, is_workload
from data.errors import InvalidSelector
from data.models import KubeContainerRow, KubeContainerSizingRow, KubeWorkloadRow, ServiceRow


@dataclass(frozen=True, slots=True)
class ContainerSizing:
    """One container of a workload over [window_start, window_end): the max over its pods of
    each pod's CPU p95 (cores) and memory max (GiB); `samples` are CPU samples over all pods."""

    service_id: int
    container: str
    window_start: datetime
    window_end: datetime
    interval_s: int
    cpu_p95_cores: float | None
    memory_max_gib: float | None
    pods_seen: int
    samples: int


def workload_targets(session: Session) -> list[WorkloadTarget]:
    """Active services whose mapping is a discovered workload, with their container count."""
    containers = (
        select(KubeWorkloadRow.service_id, func.count(KubeContainerRow.id).label("n"))
        .join(KubeContainerRow, KubeContainerRow.workload_id == KubeWorkloadRow.id)
        .group_by(KubeWorkloadRow.service_id)
        .subquery()
    )
    rows = session.execute(
        select(ServiceRow.id, ServiceRow.slug, ServiceRow.telemetry_selector, containers.c.n)
        .outerjoin(containers, containers.c.service_id == ServiceRow.id)
        .where(ServiceRow.active)
        .order_by(ServiceRow.id)
    ).all()
    targets = []
    for service_id, slug, raw, count in rows:
        if not is_workload(raw):
            continue
        try:
            m = WorkloadMapping.parse(raw)
        except InvalidSelector:
            continue  # the collector reports unparseable mappings; nothing to size here
        targets.append(
            WorkloadTarget(
                service_id, slug, m.cluster, m.namespace, m.workload_kind, m.workload, count or 1
            )
        )
    return targets


def replace_sizing(session: Session, service_id: int, rows: Sequence[ContainerSizing]) -> int:
    """A service's containers' statistics become `rows` (the previous window's go)."""
    session.execute(
        delete(KubeContainerSizingRow).where(KubeContainerSizingRow.service_id == service_id)
    )
    session.add_all(
        KubeContainerSizingRow(
            service_id=r.service_id,
            container=r.container,
            window_start=r.window_start,
            window_end=r.window_end,
            interval_s=r.interval_s,
            cpu_p95_cores=r.cpu_p95_cores,
            memory_max_gib=r.memory_max_gib,
            pods_seen=r.pods_seen,
            samples=r.samples,
        )
        for r in rows
    )
    return len(rows)


def load_sizing(session: Session, service_id: int | None = None) -> list[ContainerSizing]:
    """Stored statistics (one service's, or every service's), by service then container."""
    query = select(KubeContainerSizingRow).order_by(
        KubeContainerSizingRow.service_id, KubeContainerSizingRow.container
    )
    if service_id is not None:
        query = query.where(KubeContainerSizingRow.service_id == service_id)
    return [
        ContainerSizing(
            r.service_id,
            r.container,
            r.window_start,
            r.window_end,
            r.interval_s,
            r.cpu_p95_cores,
            r.memory_max_gib,
            r.pods_seen,
            r.samples,
        )
        for r in session.scalars(query)
    ]
