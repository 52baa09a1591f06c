"""Container sizing in KRR's JSON shape (`krr simple -f json`), so teams can diff the two.

The shape follows robusta-dev/krr's pydantic models: `Result` (core/models/result.py) holds
`scans` of `ResourceScan` {object, recommended, severity}; `object` is `K8sObjectData`
(core/models/objects.py) with `allocations` {requests, limits}; values are CPU cores and memory
bytes as floats, "?" when undecided, null when unset. Severity and score use KRR's own rules
(core/models/severity.py, Result.__calculate_score). Pure: the data side writes the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from engine.kube.container_sizing import (
    BYTES_PER_GIB,
    ContainerProposal,
    ContainerSizing,
    KrrSettings,
    Resources,
)
from engine.kube.hpa import HpaSpec

Json = dict[str, object]
Values = Literal["krr", "proposed"]
Value = float | str | None
UNDECIDED = "?"
HPA_DETECTED = "HPA detected"
# KRR's thresholds: CPU in cores, memory in MiB of absolute difference (severity.py).
_CPU_STEPS = ((0.5, "CRITICAL"), (0.25, "WARNING"), (0.1, "OK"))
_MEMORY_STEPS_MIB = ((500.0, "CRITICAL"), (250.0, "WARNING"), (100.0, "OK"))
_ORDER = ("CRITICAL", "WARNING", "OK", "GOOD", "UNKNOWN")
_SCORE_COST = {"WARNING": 0.7, "CRITICAL": 1.0}


@dataclass(frozen=True, slots=True)
class WorkloadIdentity:
    """What KRR's K8sObjectData names and Tightrope's sizing does not: where the workload runs."""

    cluster: str | None
    namespace: str
    kind: str  # Deployment, StatefulSet, DaemonSet, Job, CronJob, …
    name: str
    pods: tuple[str, ...] = ()
    deleted_pods: tuple[str, ...] = ()
    hpa: HpaSpec | None = None
    labels: tuple[tuple[str, str], ...] = ()


def krr_result(
    sizing: ContainerSizing,
    identities: Mapping[str, WorkloadIdentity],
    *,
    values: Values = "krr",
    settings: KrrSettings | None = None,
    history_hours: float = 336.0,
) -> Json:
    """KRR's `Result` as a dict: one scan per container of `sizing`, in order.

    `values="krr"` exports the KRR-comparable floor (and, like KRR without --allow-hpa, CPU
    "?" with "HPA detected" under a CPU HPA) so a diff against KRR shows only the statistics;
    `values="proposed"` exports Tightrope's proposal. `identities` maps each workload id to
    its KRR identity; a missing one is a ValueError.
    """
    settings = settings or KrrSettings()
    scans = [
        _scan(sizing.at(row), _identity(identities, sizing, row), values)
        for row in range(len(sizing.stats))
    ]
    return {
        "scans": scans,
        "score": krr_score([str(scan["severity"]) for scan in scans]),
        "resources": ["cpu", "memory"],
        "description": f"Tightrope container sizing ({values} values)",
        "strategy": {"name": "simple", "settings": _strategy_settings(settings, history_hours)},
        "errors": [],
        "clusterSummary": {},
        "config": None,
    }


def krr_severity(resource: Literal["cpu", "memory"], current: Value, recommended: Value) -> str:
    """KRR's severity of |current − recommended|: CPU ≥ 0.5 / 0.25 / 0.1 cores, memory ≥ 500 /
    250 / 100 MiB → CRITICAL / WARNING / OK, else GOOD; "?" → UNKNOWN; one side unset → WARNING;
    both unset → GOOD. Memory values are bytes."""
    if isinstance(current, str) or isinstance(recommended, str):
        return "UNKNOWN"
    if current is None or recommended is None:
        return "GOOD" if current is None and recommended is None else "WARNING"
    diff = abs(current - recommended)
    steps = _CPU_STEPS if resource == "cpu" else _MEMORY_STEPS_MIB
    diff = diff if resource == "cpu" else diff / 1024 / 1024
    return next((label for bound, label in steps if diff >= bound), "GOOD")


def krr_score(severities: list[str]) -> int:
    """KRR's score: int((scans − Σ cost) / scans × 100); WARNING costs 0.7, CRITICAL 1; none: 0."""
    if not severities:
        return 0
    cost = sum(_SCORE_COST.get(severity, 0.0) for severity in severities)
    return int((len(severities) - cost) / len(severities) * 100)


def _identity(
    identities: Mapping[str, WorkloadIdentity], sizing: ContainerSizing, row: int
) -> WorkloadIdentity:
    workload_id = str(sizing.stats.workload_id[row])
    if workload_id not in identities:
        raise ValueError(f"no KRR identity for workload {workload_id!r}")
    return identities[workload_id]


def _scan(proposal: ContainerProposal, identity: WorkloadIdentity, values: Values) -> Json:
    current = _krr_values(proposal.current)
    recommended, info = _recommended(proposal, identity, values)
    sections: dict[str, dict[str, Json]] = {"requests": {}, "limits": {}}
    for selector, section in sections.items():
        for resource in ("cpu", "memory"):
            now, new = current[selector][resource], recommended[selector][resource]
            section[resource] = {"value": new, "severity": krr_severity(resource, now, new)}
    severities = {str(v["severity"]) for section in sections.values() for v in section.values()}
    return {
        "object": _object(proposal, identity, current),
        "recommended": {**sections, "info": {"cpu": info["cpu"], "memory": info["memory"]}},
        "severity": next(s for s in _ORDER if s in severities),
    }


def _recommended(
    proposal: ContainerProposal, identity: WorkloadIdentity, values: Values
) -> tuple[dict[str, dict[str, Value]], dict[str, str | None]]:
    """The recommended requests/limits in KRR units, and KRR's info per resource."""
    undecided = proposal.info != ""
    chosen = _krr_values(proposal.krr if values == "krr" else proposal.proposed)
    info: dict[str, str | None] = {"cpu": proposal.info or None, "memory": proposal.info or None}
    if undecided:
        chosen = {s: {"cpu": UNDECIDED, "memory": UNDECIDED} for s in ("requests", "limits")}
    elif values == "krr" and identity.hpa is not None:
        chosen["requests"]["cpu"] = chosen["limits"]["cpu"] = UNDECIDED
        info["cpu"] = HPA_DETECTED
    return chosen, info


def _krr_values(resources: Resources) -> dict[str, dict[str, Value]]:
    """Requests and limits in KRR's units: cores, bytes; None when unset."""

    def to_bytes(gib: float | None) -> float | None:
        return None if gib is None else gib * BYTES_PER_GIB

    return {
        "requests": {
            "cpu": resources.cpu_request_cores,
            "memory": to_bytes(resources.memory_request_gib),
        },
        "limits": {
            "cpu": resources.cpu_limit_cores,
            "memory": to_bytes(resources.memory_limit_gib),
        },
    }


def _object(
    proposal: ContainerProposal, identity: WorkloadIdentity, current: Mapping[str, object]
) -> Json:
    pods = [{"name": name, "deleted": False} for name in identity.pods]
    pods += [{"name": name, "deleted": True} for name in identity.deleted_pods]
    return {
        "cluster": identity.cluster,
        "name": identity.name,
        "container": proposal.container,
        "pods": pods,
        "hpa": _hpa(identity.hpa, len(identity.pods)),
        "namespace": identity.namespace,
        "kind": identity.kind,
        "allocations": dict(current),
        "warnings": [],
        "labels": dict(identity.labels),
        "annotations": {},
    }


def _hpa(hpa: HpaSpec | None, running_pods: int) -> Json | None:
    if hpa is None:
        return None
    return {
        "min_replicas": hpa.min_replicas,
        "max_replicas": hpa.max_replicas,
        "current_replicas": running_pods,
        "desired_replicas": running_pods,
        "target_cpu_utilization_percentage": hpa.target_cpu_utilization_pct,
        "target_memory_utilization_percentage": None,
    }


def _strategy_settings(settings: KrrSettings, history_hours: float) -> Json:
    """KRR simple's StrategySettings field names with the values this sizing used."""
    return {
        "history_duration": history_hours,
        "timeframe_duration": 1.25,
        "cpu_percentile": 95.0,
        "memory_buffer_percentage": settings.memory_buffer_pct,
        "points_required": settings.points_required,
        "allow_hpa": False,
        "use_oomkill_data": False,
        "oom_memory_buffer_percentage": 25.0,
    }
