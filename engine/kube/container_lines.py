"""One workload's containers as the container_rightsize rule reads and explains them."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from engine.explanation import FactValue
from engine.kube.container_sizing import ContainerSizing, Resources
from engine.kube.hpa import HpaPlan, HpaSpec, Pod


@dataclass(frozen=True, slots=True)
class ContainerLine:
    """One container: what runs now, what is proposed, and the statistics it was sized on.

    `info` is "" when sized, else why not (KRR's "Not enough data"): then `proposed` keeps the
    current values.
    """

    container: str
    current: Resources
    proposed: Resources
    cpu_p95_cores: float | None
    memory_max_gib: float | None
    samples: int
    pods: int
    info: str = ""

    @property
    def sized(self) -> bool:
        """The container had enough samples and both statistics."""
        return not self.info


@dataclass(frozen=True, slots=True)
class WorkloadSizing:
    """A discovered workload's containers, its CPU HPA (None: none) and the statistics' window
    (`window_hours` of per-pod samples, KRR's history_duration)."""

    containers: tuple[ContainerLine, ...]
    hpa: HpaSpec | None
    window_hours: float

    @property
    def pod(self) -> Pod:
        """The proposed pod: requests summed over containers (unset counts as 0)."""
        return Pod(
            sum(c.proposed.cpu_request_cores or 0.0 for c in self.containers),
            sum(c.proposed.memory_request_gib or 0.0 for c in self.containers),
        )

    @property
    def samples(self) -> int:
        """CPU samples over every container and pod."""
        return sum(c.samples for c in self.containers)


def lines_by_workload(sizing: ContainerSizing) -> dict[str, tuple[ContainerLine, ...]]:
    """Each workload id's container lines, in the sizing's row order."""
    lines: defaultdict[str, list[ContainerLine]] = defaultdict(list)
    for row in range(len(sizing.stats)):
        proposal = sizing.at(row)
        lines[proposal.workload_id].append(
            ContainerLine(
                container=proposal.container,
                current=proposal.current,
                proposed=proposal.proposed,
                cpu_p95_cores=_opt(float(sizing.stats.cpu_p95_cores[row])),
                memory_max_gib=_opt(float(sizing.stats.memory_max_gib[row])),
                samples=int(sizing.stats.samples[row]),
                pods=proposal.pods,
                info=proposal.info,
            )
        )
    return {workload: tuple(rows) for workload, rows in lines.items()}


def container_facts(workload: WorkloadSizing) -> list[FactValue]:
    """The per-container table a reviewer reads: current vs proposed request/limit, the p95 CPU
    and max memory observed, samples and pods (JSON-shaped, stored as it is)."""
    return [
        {
            "container": c.container,
            **_resources("current", c.current),
            **_resources("proposed", c.proposed),
            "cpu_p95_cores": c.cpu_p95_cores,
            "memory_max_gib": c.memory_max_gib,
            "samples": c.samples,
            "pods": c.pods,
            "info": c.info,
        }
        for c in workload.containers
    ]


def hpa_facts(plan: HpaPlan) -> dict[str, FactValue]:
    """The HPA sized with the pod: bounds and target now and proposed, replicas it reaches."""
    return {
        "current_min_replicas": plan.current.min_replicas,
        "current_max_replicas": plan.current.max_replicas,
        "current_target_cpu_utilization_pct": plan.current.target_cpu_utilization_pct,
        "proposed_min_replicas": plan.proposed.min_replicas,
        "proposed_max_replicas": plan.proposed.max_replicas,
        "proposed_target_cpu_utilization_pct": plan.proposed.target_cpu_utilization_pct,
        "peak_demand_cores": plan.peak_demand_cores,
        "peak_replicas": plan.peak_replicas,
        "mean_replicas_current": plan.mean_replicas_current,
        "mean_replicas_proposed": plan.mean_replicas,
        "changes": list(plan.changes),
    }


def _resources(prefix: str, values: Resources) -> dict[str, FactValue]:
    return {
        f"{prefix}_cpu_request_cores": values.cpu_request_cores,
        f"{prefix}_cpu_limit_cores": values.cpu_limit_cores,
        f"{prefix}_memory_request_gib": values.memory_request_gib,
        f"{prefix}_memory_limit_gib": values.memory_limit_gib,
    }


def _opt(value: float) -> float | None:
    return None if math.isnan(value) else value
