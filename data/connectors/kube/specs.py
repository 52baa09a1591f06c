"""Values discovery works with: the raw query answers, and the workloads and nodes found."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

Labels = Mapping[str, str]
SUPPORTED_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob")


@dataclass(frozen=True, slots=True)
class Answers:
    """Every query's answer as labels or (labels, value) pairs."""

    owners: list[Labels]
    alive: set[tuple[str, str, str]]  # (cluster, namespace, pod) of pods alive at `at`
    containers: list[Labels]
    requests: list[tuple[Labels, float]]
    limits: list[tuple[Labels, float]]
    replicas: list[tuple[Labels, float]]
    workload_labels: list[Labels]
    namespace_labels: list[Labels]
    hpa_info: list[Labels]
    hpa_values: dict[str, list[tuple[Labels, float]]]
    node_info: list[Labels]
    node_labels: list[Labels]
    node_capacity: list[tuple[Labels, float]]


@dataclass(frozen=True, slots=True)
class ContainerSpec:
    """One container of a workload's pods: requests and limits (None: not set)."""

    name: str
    cpu_request_cores: float | None = None
    cpu_limit_cores: float | None = None
    memory_request_gib: float | None = None
    memory_limit_gib: float | None = None


@dataclass(frozen=True, slots=True)
class HpaSpec:
    name: str
    min_replicas: int | None
    max_replicas: int | None
    target_cpu_utilization_pct: float | None


@dataclass(frozen=True, slots=True)
class WorkloadSpec:
    """A workload found in the window. `cluster_label` is the series' `cluster` label ("" when
    the Prometheus holds one cluster and has none)."""

    cluster_label: str
    namespace: str
    kind: str
    name: str
    replicas: int
    containers: tuple[ContainerSpec, ...]
    labels: Mapping[str, str] = field(default_factory=dict)
    namespace_labels: Mapping[str, str] = field(default_factory=dict)
    hpa: HpaSpec | None = None
    pods_seen: int = 0

    @property
    def key(self) -> tuple[str, str, str, str]:
        return self.cluster_label, self.namespace, self.kind, self.name

    @property
    def cpu_request_cores(self) -> float:
        """The pod's summed CPU requests (containers without one count 0)."""
        return sum(c.cpu_request_cores or 0.0 for c in self.containers)

    @property
    def memory_request_gib(self) -> float:
        return sum(c.memory_request_gib or 0.0 for c in self.containers)


@dataclass(frozen=True, slots=True)
class NodeSpec:
    cluster_label: str
    name: str
    instance_type: str
    provider: str
    region: str
    zone: str
    cpu_cores: float | None
    memory_gib: float | None


@dataclass(frozen=True, slots=True)
class Skipped:
    """Something that did not become a service, and why (shown on the Data sources page)."""

    what: str  # pod | workload | container
    namespace: str
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class Inventory:
    at: datetime
    window_s: int
    workloads: tuple[WorkloadSpec, ...]
    nodes: tuple[NodeSpec, ...]
    skipped: tuple[Skipped, ...]
