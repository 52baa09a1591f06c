"""A Kubernetes change as strategic-merge patches: the workload's container requests (and the
limits a new request would exceed), its replicas, and its HPA's min/max when they change; and
the patches undoing one exactly."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from engine.capacity import CapacityConfig

_API_VERSIONS = {
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "CronJob": "batch/v1",
}
_SCALABLE = frozenset({"Deployment", "StatefulSet"})
MIB_PER_GIB = 1024


@dataclass(frozen=True, slots=True)
class Container:
    """One container's resources as discovered (None: not set)."""

    name: str
    cpu_request_cores: float | None
    memory_request_gib: float | None
    cpu_limit_cores: float | None = None
    memory_limit_gib: float | None = None


@dataclass(frozen=True, slots=True)
class Hpa:
    name: str
    min_replicas: int | None
    max_replicas: int | None


@dataclass(frozen=True, slots=True)
class Workload:
    """The workload a Kubernetes service is (namespace.kind.name), as the inventory has it."""

    namespace: str
    kind: str
    name: str
    containers: tuple[Container, ...]
    hpa: Hpa | None = None


def patches(
    workload: Workload, basis: CapacityConfig, target: CapacityConfig
) -> list[dict[str, Any]]:
    """The patches taking `workload` from `basis` to `target` (pod-level configs).

    Each container's request moves by the pod total's ratio (target / basis), so a sidecar
    keeps its share; a limit is raised to the new request where it would fall below it and
    otherwise left alone (limits guard against OOM kills, requests decide the bill)."""
    if workload.kind not in _API_VERSIONS:
        raise ValueError(f"no patch for a {workload.kind}")
    cpu = _ratio(basis.cpu_request_cores, target.cpu_request_cores)
    memory = _ratio(basis.memory_request_gib, target.memory_request_gib)
    pod = {"containers": [_container(c, cpu, memory, len(workload.containers), target)
                          for c in workload.containers]}  # fmt: skip
    spec: dict[str, Any] = {"template": {"spec": pod}}
    if workload.kind == "CronJob":
        spec = {"jobTemplate": {"spec": spec}}
    if workload.kind in _SCALABLE and workload.hpa is None and target.replicas != basis.replicas:
        spec["replicas"] = target.replicas
    found = [_document(workload, workload.kind, _API_VERSIONS[workload.kind], workload.name, spec)]
    hpa = _hpa_spec(workload.hpa, basis, target)
    if workload.hpa is not None and hpa:
        found.append(_document(workload, "HorizontalPodAutoscaler", "autoscaling/v2",
                               workload.hpa.name, hpa))  # fmt: skip
    return found


def rollback_patches(
    workload: Workload, applied_basis: CapacityConfig, applied_target: CapacityConfig
) -> list[dict[str, Any]]:
    """The patches undoing `patches(workload, applied_basis, applied_target)`, exactly.

    `workload` is the apply's snapshot: every container's requests go back to what it had,
    and every limit and HPA maximum the apply raised goes back to its own value (a raised
    limit left behind would make the rollback a different workload from the one applied)."""
    basis = replace(applied_target, cpu_request_cores=applied_basis.cpu_request_cores,
                    memory_request_gib=applied_basis.memory_request_gib)  # fmt: skip
    found = patches(workload, basis, applied_basis)
    applied = patches(workload, applied_basis, applied_target)
    originals = {c.name: c for c in workload.containers}
    for entry, raised in zip(containers_of(found), containers_of(applied), strict=True):
        # only the limits the apply raised change, back to the container's own values
        entry["resources"].pop("limits", None)
        limits = raised["resources"].get("limits")
        if limits:
            entry["resources"]["limits"] = _original_limits(originals[entry["name"]], limits)
    raised_max = len(applied) > 1 and "maxReplicas" in applied[1]["spec"]
    if workload.hpa is not None and raised_max:
        _hpa_document(found, workload)["spec"]["maxReplicas"] = workload.hpa.max_replicas
    return found


def _original_limits(container: Container, raised: dict[str, str]) -> dict[str, str]:
    """The container's own values of the limits the apply raised (a raised one was set)."""
    found = {}
    if "cpu" in raised and container.cpu_limit_cores is not None:
        found["cpu"] = cpu_quantity(container.cpu_limit_cores)
    if "memory" in raised and container.memory_limit_gib is not None:
        found["memory"] = memory_quantity(container.memory_limit_gib)
    return found


def _hpa_document(documents: list[dict[str, Any]], workload: Workload) -> dict[str, Any]:
    """The HPA patch among `documents`, added (empty) when the rollback had none."""
    if len(documents) == 1:
        assert workload.hpa is not None
        documents.append(_document(workload, "HorizontalPodAutoscaler", "autoscaling/v2",
                                   workload.hpa.name, {}))  # fmt: skip
    return documents[1]


def _ratio(before: float | None, after: float | None) -> float:
    if not before or after is None:
        return 1.0
    return after / before


def _container(
    container: Container, cpu: float, memory: float, count: int, target: CapacityConfig
) -> dict[str, Any]:
    """A container's resources; one without a request gets an even share of the pod's."""
    cpu_cores = _scaled(container.cpu_request_cores, cpu, target.cpu_request_cores, count)
    memory_gib = _scaled(container.memory_request_gib, memory, target.memory_request_gib, count)
    resources: dict[str, Any] = {"requests": {"cpu": cpu_quantity(cpu_cores),
                                              "memory": memory_quantity(memory_gib)}}  # fmt: skip
    limits = {}
    if container.cpu_limit_cores is not None and container.cpu_limit_cores < cpu_cores:
        limits["cpu"] = cpu_quantity(cpu_cores)
    if container.memory_limit_gib is not None and container.memory_limit_gib < memory_gib:
        limits["memory"] = memory_quantity(memory_gib)
    if limits:
        resources["limits"] = limits
    return {"name": container.name, "resources": resources}


def _scaled(request: float | None, ratio: float, pod_total: float | None, count: int) -> float:
    if request is not None:
        return request * ratio
    return (pod_total or 0.0) / max(count, 1)


def _hpa_spec(hpa: Hpa | None, basis: CapacityConfig, target: CapacityConfig) -> dict[str, Any]:
    """minReplicas when the floor changes; maxReplicas only when the target needs more room."""
    if hpa is None:
        return {}
    spec: dict[str, Any] = {}
    if target.min_replicas != basis.min_replicas and target.min_replicas >= 1:
        spec["minReplicas"] = target.min_replicas
    if hpa.max_replicas is not None and target.replicas > hpa.max_replicas:
        spec["maxReplicas"] = target.replicas
    return spec


def _document(
    workload: Workload, kind: str, api_version: str, name: str, spec: dict[str, Any]
) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": workload.namespace},
        "spec": spec,
    }


def cpu_quantity(cores: float) -> str:
    """Millicores, rounded up, at least 1m ("250m")."""
    return f"{max(1, math.ceil(round(cores * 1000, 6)))}m"


def memory_quantity(gib: float) -> str:
    """Mebibytes, rounded up, at least 1Mi ("512Mi")."""
    return f"{max(1, math.ceil(round(gib * MIB_PER_GIB, 6)))}Mi"


def containers_of(documents: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The container entries of a workload patch (the first document)."""
    spec = documents[0]["spec"]
    if documents[0]["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    found: list[dict[str, Any]] = spec["template"]["spec"]["containers"]
    return found
