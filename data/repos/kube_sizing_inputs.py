"""What container sizing reads: each active workload's containers, HPA and SLA class, and the
per-container usage statistics `kube-stats` collects."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import (
    KubeContainerRow,
    KubeContainerSizingRow,
    KubeHpaRow,
    KubeWorkloadRow,
    ServiceRow,
)


@dataclass(frozen=True, slots=True)
class ContainerUsageStats:
    """One container over the sizing window: max over pods of each pod's CPU p95 and memory max."""

    service_id: int
    container: str
    cpu_p95_cores: float | None
    memory_max_gib: float | None
    pods_seen: int
    samples: int
    window_hours: float


@dataclass(frozen=True, slots=True)
class ContainerInput:
    name: str
    cpu_request_cores: float | None
    cpu_limit_cores: float | None
    memory_request_gib: float | None
    memory_limit_gib: float | None


@dataclass(frozen=True, slots=True)
class HpaInput:
    min_replicas: int | None
    max_replicas: int | None
    target_cpu_utilization_pct: float | None


@dataclass(frozen=True, slots=True)
class WorkloadSizingInput:
    """An active workload as sizing and KRR's export name it."""

    service_id: int
    cluster: str
    namespace: str
    kind: str
    name: str
    replicas: int
    labels: Mapping[str, str]
    policy_class: str
    region: str
    containers: tuple[ContainerInput, ...]
    hpa: HpaInput | None


def container_stats(session: Session) -> dict[tuple[int, str], ContainerUsageStats]:
    """(service id, container) -> its statistics over the sizing window (decision 018)."""
    out = {}
    for row in session.scalars(select(KubeContainerSizingRow)):
        hours = (row.window_end - row.window_start).total_seconds() / 3600
        out[(row.service_id, row.container)] = ContainerUsageStats(
            row.service_id, row.container, row.cpu_p95_cores, row.memory_max_gib,
            row.pods_seen, row.samples, hours,
        )  # fmt: skip
    return out


def active_workloads(session: Session) -> list[WorkloadSizingInput]:
    """Active workloads in (cluster, namespace, kind, name) order, with containers and HPA."""
    containers: dict[int, list[ContainerInput]] = defaultdict(list)
    for c in session.scalars(select(KubeContainerRow).order_by(KubeContainerRow.name)):
        containers[c.workload_id].append(ContainerInput(
            c.name, c.cpu_request_cores, c.cpu_limit_cores, c.memory_request_gib,
            c.memory_limit_gib,
        ))  # fmt: skip
    hpas = {
        h.workload_id: HpaInput(h.min_replicas, h.max_replicas, h.target_cpu_utilization_pct)
        for h in session.scalars(select(KubeHpaRow))
    }
    query = (
        select(KubeWorkloadRow, ServiceRow.policy_class, ServiceRow.region)
        .join(ServiceRow, ServiceRow.id == KubeWorkloadRow.service_id)
        .where(KubeWorkloadRow.active.is_(True))
        .order_by(KubeWorkloadRow.cluster, KubeWorkloadRow.namespace, KubeWorkloadRow.kind,
                  KubeWorkloadRow.name)
    )  # fmt: skip
    return [
        WorkloadSizingInput(
            w.service_id,
            w.cluster,
            w.namespace,
            w.kind,
            w.name,
            w.replicas,
            {str(k): str(v) for k, v in (w.labels or {}).items()},
            policy,
            region,
            tuple(containers.get(w.id, ())),
            hpas.get(w.id),
        )
        for w, policy, region in session.execute(query)
    ]
