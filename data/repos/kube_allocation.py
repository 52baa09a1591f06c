"""Kubernetes allocation storage: the inventory it reads, the cluster-days it rewrites, the
per-cluster summary the Data sources page shows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from data.models import (
    ALLOCATION_BASIS,
    KubeAllocationRow,
    KubeClusterCostRow,
    KubeContainerRow,
    KubeNodeRow,
    KubeWorkloadRow,
    ServiceRow,
    UsageHourlyRow,
)


@dataclass(frozen=True, slots=True)
class NodeInput:
    """A discovered node and when it ran (retired_at None: still running)."""

    cluster: str
    instance_type: str
    region: str
    cpu_cores: float
    memory_gib: float
    first_seen_at: datetime
    retired_at: datetime | None


@dataclass(frozen=True, slots=True)
class WorkloadInput:
    """A discovered workload: its requests over all replicas (containers × replicas)."""

    service_id: int
    cluster: str
    cpu_request_cores: float
    memory_request_gib: float
    first_seen_at: datetime
    retired_at: datetime | None


@dataclass(frozen=True, slots=True)
class HourUsage:
    """A workload's usage in one hour, all replicas together (usage_hourly)."""

    service_id: int
    hour_start: datetime
    cpu_cores: float  # the hour's mean
    memory_gib: float  # the hour's max


@dataclass(frozen=True, slots=True)
class ClusterDay:
    """One cluster-day to store: the node cost and its lines (service_id None: idle)."""

    day: date
    cluster: str
    node_cost_usd: Decimal
    node_hours: int
    unpriced_node_hours: int
    overcommitted_hours: int
    lines: tuple[tuple[int | None, Decimal, Decimal], ...]  # (service_id, cpu_usd, memory_usd)


def nodes(session: Session) -> list[NodeInput]:
    rows = session.scalars(select(KubeNodeRow).order_by(KubeNodeRow.id))
    return [
        NodeInput(
            r.cluster,
            r.instance_type,
            r.region,
            r.cpu_cores or 0.0,
            r.memory_gib or 0.0,
            r.first_seen_at,
            r.retired_at,
        )
        for r in rows
    ]


def workloads(session: Session) -> list[WorkloadInput]:
    """Requests summed over containers (an unset request is 0) and multiplied by replicas."""
    cpu = func.coalesce(func.sum(func.coalesce(KubeContainerRow.cpu_request_cores, 0.0)), 0.0)
    memory = func.coalesce(func.sum(func.coalesce(KubeContainerRow.memory_request_gib, 0.0)), 0.0)
    query = (
        select(KubeWorkloadRow, cpu, memory)
        .outerjoin(KubeContainerRow, KubeContainerRow.workload_id == KubeWorkloadRow.id)
        .group_by(KubeWorkloadRow.id)
        .order_by(KubeWorkloadRow.id)
    )
    return [
        WorkloadInput(
            w.service_id,
            w.cluster,
            float(c) * w.replicas,
            float(m) * w.replicas,
            w.first_seen_at,
            w.retired_at,
        )
        for w, c, m in session.execute(query)
    ]


def usage(
    session: Session, service_ids: Sequence[int], *, start: datetime, end: datetime
) -> list[HourUsage]:
    """usage_hourly rows of the workloads' services in [start, end)."""
    if not service_ids:
        return []
    query = select(
        UsageHourlyRow.service_id,
        UsageHourlyRow.hour_start,
        UsageHourlyRow.cpu_used_mean_cores,
        UsageHourlyRow.memory_used_max_gib,
    ).where(
        UsageHourlyRow.service_id.in_(service_ids),
        UsageHourlyRow.hour_start >= start,
        UsageHourlyRow.hour_start < end,
    )
    return [HourUsage(s, h, c, m) for s, h, c, m in session.execute(query)]


def replace_days(
    session: Session, first: date, last: date, days: Sequence[ClusterDay], *, now: datetime
) -> int:
    """Rewrite every cluster-day in [first, last] (a day no longer computed goes); lines written."""
    for table in (KubeAllocationRow, KubeClusterCostRow):
        session.execute(delete(table).where(table.day >= first, table.day <= last))
    if not days:
        return 0
    session.execute(insert(KubeClusterCostRow), [
        {"day": d.day, "cluster": d.cluster, "node_cost_usd": d.node_cost_usd,
         "node_hours": d.node_hours, "unpriced_node_hours": d.unpriced_node_hours,
         "overcommitted_hours": d.overcommitted_hours, "basis": ALLOCATION_BASIS,
         "computed_at": now}
        for d in days
    ])  # fmt: skip
    lines = [
        {"day": d.day, "cluster": d.cluster, "service_id": service_id, "cpu_usd": cpu_usd,
         "memory_usd": memory_usd, "total_usd": cpu_usd + memory_usd, "basis": ALLOCATION_BASIS}
        for d in days
        for service_id, cpu_usd, memory_usd in d.lines
    ]  # fmt: skip
    session.execute(insert(KubeAllocationRow), lines)
    return len(lines)


@dataclass(frozen=True, slots=True)
class WorkloadCost:
    name: str
    total_usd: Decimal


@dataclass(frozen=True, slots=True)
class ClusterAllocation:
    """A cluster over the days stored since a date: what its nodes cost, where it went."""

    cluster: str
    first_day: date
    last_day: date
    node_cost_usd: Decimal
    allocated_usd: Decimal
    idle_usd: Decimal
    unpriced_node_hours: int
    overcommitted_hours: int
    top_workloads: tuple[WorkloadCost, ...]
    basis: str = ALLOCATION_BASIS

    @property
    def idle_pct(self) -> float:
        if not self.node_cost_usd:
            return 0.0
        return float(self.idle_usd / self.node_cost_usd * 100)


def cluster_allocations(session: Session, *, since: date, top: int = 5) -> list[ClusterAllocation]:
    """Per cluster, the stored days from `since`: node cost, allocated, idle, top workloads."""
    days = session.execute(
        select(
            KubeClusterCostRow.cluster, func.min(KubeClusterCostRow.day),
            func.max(KubeClusterCostRow.day), func.sum(KubeClusterCostRow.node_cost_usd),
            func.sum(KubeClusterCostRow.unpriced_node_hours),
            func.sum(KubeClusterCostRow.overcommitted_hours),
        ).where(KubeClusterCostRow.day >= since).group_by(KubeClusterCostRow.cluster)
        .order_by(KubeClusterCostRow.cluster)
    ).all()  # fmt: skip
    by_line = _line_totals(session, since)
    out = []
    for cluster, first, last, cost, unpriced, over in days:
        lines = by_line.get(cluster, {})
        idle = lines.pop(None, Decimal(0))
        ranked = sorted(lines.items(), key=lambda item: (-item[1], item[0]))[:top]
        out.append(ClusterAllocation(
            cluster, first, last, Decimal(cost), sum(lines.values(), Decimal(0)), idle,
            int(unpriced), int(over), tuple(WorkloadCost(n or "", usd) for n, usd in ranked),
        ))  # fmt: skip
    return out


def _line_totals(session: Session, since: date) -> dict[str, dict[str | None, Decimal]]:
    """cluster -> {service name (None: idle): total USD} over the days from `since`."""
    query = (
        select(KubeAllocationRow.cluster, ServiceRow.name, func.sum(KubeAllocationRow.total_usd))
        .outerjoin(ServiceRow, ServiceRow.id == KubeAllocationRow.service_id)
        .where(KubeAllocationRow.day >= since)
        .group_by(KubeAllocationRow.cluster, ServiceRow.name)
    )
    totals: dict[str, dict[str | None, Decimal]] = defaultdict(dict)
    for cluster, name, usd in session.execute(query):
        totals[cluster][name] = Decimal(usd)
    return totals
