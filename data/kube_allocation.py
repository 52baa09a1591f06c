"""Node cost allocated to discovered workloads per cluster-day (engine.kube.allocation), in cents.

Where the inputs come from (decision 014, "Wiring"):

    kube_node ─ catalog on-demand price (type, region) ─┐  one pooled row per cluster-hour:
    kube_container × replicas (requests) ───────────────┼─ Σ node cost, Σ capacity; placement
    usage_hourly of the workload's service (usage) ─────┘  of pods on nodes is not discovered

Each cluster-hour is allocated by max(request, usage); a cluster-day's lines (workloads, idle)
are rounded to cents so that they sum to its node cost exactly.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from data.repos import kube_allocation as repo
from data.repos.kube_allocation import ClusterDay, HourUsage, NodeInput, WorkloadInput
from engine.catalog import Catalog
from engine.errors import UnknownInstanceType, UnknownRegion
from engine.kube.allocation import Containers, CostSplit, Nodes, allocate, cost_split_for

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class AllocationReport:
    first_day: date
    last_day: date
    cluster_days: int
    lines: int
    unpriced_node_hours: int


def recompute_allocation(
    sessions: sessionmaker[Session], catalog: Catalog, *, now: datetime, days: int
) -> AllocationReport:
    """Rewrite the last `days` days (today so far included) in one transaction."""
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    first_day = end.date() - timedelta(days=days - 1)
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
    with sessions.begin() as session:
        nodes, workloads = repo.nodes(session), repo.workloads(session)
        ids = [w.service_id for w in workloads]
        usage = repo.usage(session, ids, start=start, end=end)
        computed = allocate_hours(nodes, workloads, usage, catalog, start=start, end=end)
        lines = repo.replace_days(session, first_day, end.date(), computed, now=now)
    unpriced = sum(d.unpriced_node_hours for d in computed)
    return AllocationReport(first_day, end.date(), len(computed), lines, unpriced)


@dataclass(slots=True)
class _Day:
    """Float sums of one cluster-day before rounding."""

    cost_usd: float = 0.0
    node_hours: int = 0
    unpriced_node_hours: int = 0
    overcommitted_hours: int = 0
    parts: dict[int | None, list[float]] = field(default_factory=lambda: defaultdict(_pair))


def _pair() -> list[float]:
    return [0.0, 0.0]


def allocate_hours(
    nodes: Sequence[NodeInput],
    workloads: Sequence[WorkloadInput],
    usage: Sequence[HourUsage],
    catalog: Catalog,
    *,
    start: datetime,
    end: datetime,
) -> list[ClusterDay]:
    """Every hour in [start, end), every cluster with a node running: allocate, then sum by day."""
    priced = [_priced(n, catalog) for n in nodes]
    used = {(u.service_id, u.hour_start.astimezone(UTC)): u for u in usage}
    sums: dict[tuple[date, str], _Day] = defaultdict(_Day)
    by_cluster = _by_cluster(nodes, priced, workloads)
    hour = start
    while hour < end:
        for cluster, (cluster_nodes, cluster_workloads) in by_cluster.items():
            here = [p for since, until, p in cluster_nodes if _on(since, until, hour)]
            mine = [w for since, until, w in cluster_workloads if _on(since, until, hour)]
            if here:
                _allocate_hour(sums[(hour.date(), cluster)], here, mine, used, hour)
        hour += HOUR
    return [_rounded(day, cluster, sums[(day, cluster)]) for day, cluster in sorted(sums)]


@dataclass(frozen=True, slots=True)
class _PricedNode:
    cost_usd: float | None  # None: no catalog price
    cpu_usd: float
    cpu_cores: float
    memory_gib: float


def _priced(node: NodeInput, catalog: Catalog) -> _PricedNode:
    """The node's hourly on-demand price and its CPU part (decision 014's split by prices)."""
    try:
        price = float(catalog.on_demand_usd_per_hour([node.instance_type], node.region)[0])
    except (UnknownInstanceType, UnknownRegion):
        price = math.nan
    if math.isnan(price):
        return _PricedNode(None, 0.0, node.cpu_cores, node.memory_gib)
    share = cost_split_for(catalog, node.region).cpu_shares(
        np.array([node.cpu_cores]), np.array([node.memory_gib])
    )[0]
    return _PricedNode(price, price * float(share), node.cpu_cores, node.memory_gib)


_Span = tuple[datetime, datetime | None]
_NodeSpans = list[tuple[datetime, datetime | None, _PricedNode]]
_WorkloadSpans = list[tuple[datetime, datetime | None, WorkloadInput]]


def _by_cluster(
    nodes: Sequence[NodeInput], priced: Sequence[_PricedNode], workloads: Sequence[WorkloadInput]
) -> dict[str, tuple[_NodeSpans, _WorkloadSpans]]:
    """cluster -> (its nodes, its workloads), each with the hours it ran: [first hour, retired)."""
    grouped: dict[str, tuple[_NodeSpans, _WorkloadSpans]] = {}
    for node, price in zip(nodes, priced, strict=True):
        grouped.setdefault(node.cluster, ([], []))[0].append((*_span(node), price))
    for workload in workloads:
        if workload.cluster in grouped:  # a cluster without nodes has no cost to share
            grouped[workload.cluster][1].append((*_span(workload), workload))
    return dict(sorted(grouped.items()))


def _span(item: NodeInput | WorkloadInput) -> _Span:
    """Seen from its first hour (discovery's instant, to the hour) until retired."""
    first = item.first_seen_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return first, item.retired_at


def _on(since: datetime, until: datetime | None, hour: datetime) -> bool:
    return since <= hour and (until is None or hour < until)


def _allocate_hour(
    day: _Day,
    nodes: Sequence[_PricedNode],
    workloads: Sequence[WorkloadInput],
    used: dict[tuple[int, datetime], HourUsage],
    hour: datetime,
) -> None:
    """The cluster's nodes pooled into one row (cost, capacity); its workloads share it."""
    cost = sum(n.cost_usd for n in nodes if n.cost_usd is not None)
    cpu_usd = sum(n.cpu_usd for n in nodes)
    pooled = Nodes(
        node_id=np.array(["pool"]), cluster_id=np.array(["pool"]), cost_usd=np.array([cost]),
        cpu_cores=np.array([sum(n.cpu_cores for n in nodes)]),
        memory_gib=np.array([sum(n.memory_gib for n in nodes)]),
    )  # fmt: skip
    samples = [used.get((w.service_id, hour)) for w in workloads]
    containers = Containers(
        workload_id=np.array([str(w.service_id) for w in workloads], dtype=np.str_),
        node=np.zeros(len(workloads), dtype=np.intp),
        cpu_request_cores=np.array([w.cpu_request_cores for w in workloads], dtype=float),
        cpu_usage_cores=np.array([s.cpu_cores if s else math.nan for s in samples], dtype=float),
        memory_request_gib=np.array([w.memory_request_gib for w in workloads], dtype=float),
        memory_usage_gib=np.array([s.memory_gib if s else math.nan for s in samples], dtype=float),
    )
    split = CostSplit(cpu_share=cpu_usd / cost if cost > 0 else 0.5)
    result = allocate(pooled, containers, split=split)
    for sid, cpu, memory in zip(result.workload_id, result.cpu_usd, result.memory_usd, strict=True):
        part = day.parts[int(sid)]
        part[0] += float(cpu)
        part[1] += float(memory)
    idle = day.parts[None]
    idle[0] += float(result.idle_cpu_usd.sum())
    idle[1] += float(result.idle_memory_usd.sum())
    day.cost_usd += cost
    day.node_hours += len(nodes)
    day.unpriced_node_hours += sum(1 for n in nodes if n.cost_usd is None)
    day.overcommitted_hours += int(
        result.overcommitted_cpu.any() or result.overcommitted_memory.any()
    )


def _rounded(day: date, cluster: str, sums: _Day) -> ClusterDay:
    """Cents by largest remainder: the lines sum to the node cost's cents exactly."""
    keys = sorted(sums.parts, key=lambda k: (k is None, k or 0))
    flat = [usd for key in keys for usd in sums.parts[key]]
    total_cents = round(sums.cost_usd * 100)
    cents = to_cents(flat, total_cents)
    lines = tuple(
        (key, Decimal(cents[2 * i]) / 100, Decimal(cents[2 * i + 1]) / 100)
        for i, key in enumerate(keys)
    )
    return ClusterDay(day, cluster, Decimal(total_cents) / 100, sums.node_hours,
                      sums.unpriced_node_hours, sums.overcommitted_hours, lines)  # fmt: skip


def to_cents(parts_usd: Sequence[float], total_cents: int) -> list[int]:
    """Each part in whole cents, summing to `total_cents`: floor, then the cents short go to
    the largest remainders (or, when float sums overshoot, come off the smallest)."""
    scaled = [max(usd, 0.0) * 100 for usd in parts_usd]
    cents = [math.floor(x) for x in scaled]
    by_remainder = sorted(range(len(cents)), key=lambda i: (cents[i] - scaled[i], i))
    short = total_cents - sum(cents)
    step = 1 if short > 0 else -1
    order = by_remainder if short > 0 else by_remainder[::-1]
    while short and order:
        for i in order:
            if short == 0:
                break
            if step < 0 and cents[i] == 0:
                continue
            cents[i] += step
            short -= step
        if step < 0 and not any(cents):
            break
    return cents
