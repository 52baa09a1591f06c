"""Container sizing of the discovered workloads (engine.kube.container_sizing) and its export
in Robusta KRR's JSON shape (engine.kube.krr_export), so teams can diff the two tools."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
from sqlalchemy.orm import Session

from data.repos.kube_sizing_inputs import (
    ContainerUsageStats,
    HpaInput,
    WorkloadSizingInput,
    active_workloads,
    container_stats,
)
from engine.catalog import Catalog
from engine.kube.allocation import cost_split_for
from engine.kube.container_lines import WorkloadSizing, lines_by_workload
from engine.kube.container_sizing import (
    ContainerSizing,
    ContainerStats,
    size_containers,
    target_utilization,
)
from engine.kube.hpa import HpaSpec
from engine.kube.krr_export import Values, WorkloadIdentity, krr_result
from engine.service import PolicyClass
from engine.sla import policy_for

DEFAULT_HISTORY_HOURS = 336.0  # KRR simple's default history_duration (14 days)


def size_workloads(
    workloads: Sequence[WorkloadSizingInput],
    stats: Mapping[tuple[int, str], ContainerUsageStats],
    catalog: Catalog,
) -> ContainerSizing:
    """One row per container of every workload; a container without statistics is KRR's
    "Not enough data" (0 samples) and keeps its requests and limits."""
    rows = [(w, c, stats.get((w.service_id, c.name))) for w in workloads for c in w.containers]
    region = workloads[0].region if workloads else ""
    split = cost_split_for(catalog, region)

    def column(values: list[float | None]) -> Any:
        return np.array([math.nan if v is None else v for v in values], dtype=float)

    sized = ContainerStats(
        workload_id=np.array([str(w.service_id) for w, _, _ in rows], dtype=np.str_),
        container=np.array([c.name for _, c, _ in rows], dtype=np.str_),
        cpu_p95_cores=column([s.cpu_p95_cores if s else None for _, _, s in rows]),
        memory_max_gib=column([s.memory_max_gib if s else None for _, _, s in rows]),
        samples=np.array([s.samples if s else 0 for _, _, s in rows], dtype=np.intp),
        pods=np.array([s.pods_seen if s else 0 for _, _, s in rows], dtype=np.intp),
        replicas=np.array([w.replicas for w, _, _ in rows], dtype=np.intp),
        cpu_request_cores=column([c.cpu_request_cores for _, c, _ in rows]),
        cpu_limit_cores=column([c.cpu_limit_cores for _, c, _ in rows]),
        memory_request_gib=column([c.memory_request_gib for _, c, _ in rows]),
        memory_limit_gib=column([c.memory_limit_gib for _, c, _ in rows]),
        cpu_target_utilization=np.array([_target(w) for w, _, _ in rows], dtype=float),
    )
    return size_containers(
        sized,
        usd_per_core_hour=split.cpu_usd_per_core_hour,
        usd_per_gib_hour=split.memory_usd_per_gib_hour,
    )


def workload_sizings(session: Session, catalog: Catalog) -> dict[int, WorkloadSizing]:
    """Service id -> its containers sized (and HPA) for every active workload with containers:
    what recompute's container_rightsize rule reads (engine.kube.container_rule)."""
    workloads = [w for w in active_workloads(session) if w.containers]
    stats = container_stats(session)
    lines = lines_by_workload(size_workloads(workloads, stats, catalog))
    hours: dict[int, float] = {}
    for (service_id, _), s in stats.items():
        hours[service_id] = max(hours.get(service_id, 0.0), s.window_hours)
    return {
        w.service_id: WorkloadSizing(
            lines[str(w.service_id)], hpa_spec(w.hpa), hours.get(w.service_id, 0.0)
        )
        for w in workloads
    }


def _target(workload: WorkloadSizingInput) -> float:
    return target_utilization(policy_for(cast(PolicyClass, workload.policy_class)))


def hpa_spec(hpa: HpaInput | None) -> HpaSpec | None:
    """A CPU HPA the engine can reason about; None when it has no CPU target or max."""
    if hpa is None or hpa.target_cpu_utilization_pct is None or hpa.max_replicas is None:
        return None
    low = max(1, hpa.min_replicas or 1)
    return HpaSpec(low, max(low, hpa.max_replicas), hpa.target_cpu_utilization_pct)


def identities(workloads: Sequence[WorkloadSizingInput]) -> dict[str, WorkloadIdentity]:
    """KRR's object identity per workload id (pod names are not kept by discovery: none)."""
    return {
        str(w.service_id): WorkloadIdentity(
            cluster=w.cluster,
            namespace=w.namespace,
            kind=w.kind,
            name=w.name,
            hpa=hpa_spec(w.hpa),
            labels=tuple(sorted(w.labels.items())),
        )
        for w in workloads
    }


def krr_export(session: Session, catalog: Catalog, *, values: Values = "krr") -> dict[str, Any]:
    """KRR's `Result` for every active workload: `values="krr"` the KRR-comparable floor,
    "proposed" Tightrope's SLA-targeted requests."""
    workloads = active_workloads(session)
    stats = container_stats(session)
    hours = max((s.window_hours for s in stats.values()), default=DEFAULT_HISTORY_HOURS)
    sizing = size_workloads(workloads, stats, catalog)
    return krr_result(sizing, identities(workloads), values=values, history_hours=hours)
