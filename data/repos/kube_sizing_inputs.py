"""What container sizing reads: each active workload's containers, HPA and SLA class, and the
per-container usage statistics behind a seam (the statistics table is another branch's)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import KubeContainerRow, KubeHpaRow, KubeWorkloadRow, ServiceRow

# The seam: per-container statistics are collected by the wt-stats branch into
# `kube_container_sizing` (its migration 0012, decision 018). Until that lands here it is read
# by name, with exactly its columns; a database without the table has no statistics yet.
STATS_TABLE = sa.table(
    "kube_container_sizing",
    sa.column("service_id", sa.Integer),
    sa.column("container", sa.String),
    sa.column("window_start", sa.DateTime),
    sa.column("window_end", sa.DateTime),
    sa.column("cpu_p95_cores", sa.Float),
    sa.column("memory_max_gib", sa.Float),
    sa.column("pods_seen", sa.Integer),
    sa.column("samples", sa.Integer),
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
    """(service id, container) -> its statistics; empty while the table does not exist."""
    if not sa.inspect(session.connection()).has_table(STATS_TABLE.name):
        return {}
    out = {}
    for row in session.execute(select(STATS_TABLE)).mappings():
        hours = _hours(row["window_start"], row["window_end"])
        out[(row["service_id"], row["container"])] = ContainerUsageStats(
            row["service_id"], row["container"], row["cpu_p95_cores"], row["memory_max_gib"],
            row["pods_seen"], row["samples"], hours,
        )  # fmt: skip
    return out


def _hours(start: datetime | str, end: datetime | str) -> float:
    if isinstance(start, str) or isinstance(end, str):  # SQLite through a table() read
        start, end = datetime.fromisoformat(str(start)), datetime.fromisoformat(str(end))
    return (end - start).total_seconds() / 3600


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
