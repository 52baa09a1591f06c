"""A synthetic Kubernetes cluster's history (kube-state-metrics + cAdvisor) and its truth.

The truth (workloads, containers, requests, limits, nodes, HPA) and the per-pod, per-container
usage at sample resolution are plain Python values; `kube_openmetrics.write_openmetrics`
writes the series a real cluster would expose from the same values, so a test compares what
discovery (and later per-container statistics) find against exactly what was generated.

Time runs in 60 s samples at hh:mm:30 (cAdvisor's scrape interval); kube-state-metrics gauges
are written every `KSM_EVERY` samples (4 minutes: they only change at rollouts, Prometheus's
5-minute lookback still sees a live pod at any instant, and the files stay a third the size).
Labels Prometheus adds per target (`instance`, `metrics_path`) and cAdvisor's `id`/`name` are
left out for the same reason: nothing here reads them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
STEP_S = 60
OFFSET_S = 30
KSM_EVERY = 4
PER_HOUR = 3600 // STEP_S
PER_DAY = 24 * PER_HOUR
MIB = float(2**20)
GIB = float(2**30)
HISTORY_END = datetime(2026, 10, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ContainerSpec:
    """One container of a pod template: requests/limits (None: not set) and a usage level."""

    name: str
    cpu_request_cores: float | None
    cpu_limit_cores: float | None
    memory_request_bytes: float | None
    memory_limit_bytes: float | None
    cpu_level_cores: float = 0.1
    memory_base_bytes: float = 200 * MIB


@dataclass(frozen=True)
class Pod:
    """A pod alive over samples [start, end): its owner as kube_pod_owner says, and node."""

    name: str
    owner_kind: str  # ReplicaSet | StatefulSet | DaemonSet | Job | <none>
    owner_name: str
    node: str
    start: int
    end: int
    containers: tuple[ContainerSpec, ...]


@dataclass(frozen=True)
class Hpa:
    name: str
    min_replicas: int
    max_replicas: int
    target_cpu_utilization_pct: float
    current_replicas: int


@dataclass(frozen=True)
class Workload:
    """A workload as discovery must report it; `containers` is its current template."""

    namespace: str
    kind: str  # Deployment | StatefulSet | DaemonSet | CronJob | Rollout (unknown) | Pod (bare)
    name: str
    replicas: int
    containers: tuple[ContainerSpec, ...]
    pods: tuple[Pod, ...]
    labels: dict[str, str] = field(default_factory=dict)
    # Deployments: (replicaset, owner kind); CronJobs: job names.
    replicasets: tuple[tuple[str, str], ...] = ()
    jobs: tuple[str, ...] = ()
    hpa: Hpa | None = None
    end: int | None = None  # samples; None: alive to the end of history

    def alive_until(self, samples: int) -> int:
        return samples if self.end is None else self.end


@dataclass(frozen=True)
class Node:
    name: str
    instance_type: str
    region: str
    zone: str
    cpu_cores: float
    memory_bytes: float
    provider_id: str


@dataclass(frozen=True)
class PodUsage:
    """One container of one pod over its life: CPU cores used in each sample interval
    (what `rate` over two adjacent samples returns) and working-set bytes at each sample."""

    start: int
    cpu_cores: Floats
    memory_bytes: Floats


@dataclass(frozen=True)
class ClusterHistory:
    """Everything generated: the truth, the usage, and the time axis."""

    start: datetime
    samples: int
    workloads: tuple[Workload, ...]
    nodes: tuple[Node, ...]
    namespace_labels: dict[str, dict[str, str]]
    usage: dict[tuple[str, str, str], PodUsage]  # (namespace, pod, container)
    cluster: str | None = None

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.samples * STEP_S)

    def at(self, sample: int) -> datetime:
        return self.start + timedelta(seconds=OFFSET_S + sample * STEP_S)

    def sample_before(self, moment: datetime) -> int:
        return int(((moment - self.start).total_seconds() - OFFSET_S) // STEP_S)

    def found(self, window_start: datetime, at: datetime) -> list[Workload]:
        """Supported workloads with a pod alive in (window_start, at]: what discovery finds."""
        first, last = self.sample_before(window_start) + 1, self.sample_before(at)
        return [
            w
            for w in self.workloads
            if w.kind in SUPPORTED_KINDS and any(p.start <= last and p.end > first for p in w.pods)
        ]


SUPPORTED_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob")
NAMESPACES = ("shop", "payments", "data", "platform", "web")
NODES = (
    Node("node-a", "m5.xlarge", "us-east-1", "us-east-1a", 4, 16 * GIB, "aws:///us-east-1a/i-0a"),
    Node("node-b", "m5.xlarge", "us-east-1", "us-east-1b", 4, 16 * GIB, "aws:///us-east-1b/i-0b"),
    Node("node-c", "m5.2xlarge", "us-east-1", "us-east-1a", 8, 32 * GIB, "aws:///us-east-1a/i-0c"),
    Node("node-d", "m5.2xlarge", "us-east-1", "us-east-1c", 8, 32 * GIB, "aws:///us-east-1c/i-0d"),
)


def suffix(*parts: object, n: int = 5) -> str:
    """A stable pod-template-hash-like suffix."""
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:n]


def generate(days: int = 3, *, seed: int = 11, cluster: str | None = None) -> ClusterHistory:
    """The test cluster: 56 supported workloads over 5 namespaces, plus workloads discovery
    must skip (a bare pod, an Argo Rollout) and one Deployment deleted half-way."""
    from tests.support.kube_fleet import fleet

    samples = days * PER_DAY
    rng = np.random.default_rng(seed)
    workloads = fleet(samples, rng)
    usage = {
        (w.namespace, pod.name, c.name): _usage(pod, c, rng)
        for w in workloads
        for pod in w.pods
        for c in pod.containers
    }
    namespace_labels = {
        ns: {"team": f"team-{ns}", "environment": "staging" if ns == "web" else "production"}
        for ns in NAMESPACES
    }
    return ClusterHistory(
        start=HISTORY_END - timedelta(days=days),
        samples=samples,
        workloads=tuple(workloads),
        nodes=NODES,
        namespace_labels=namespace_labels,
        usage=usage,
        cluster=cluster,
    )


def _usage(pod: Pod, container: ContainerSpec, rng: np.random.Generator) -> PodUsage:
    """A daily wave with noise for CPU; a slow climb with noise for memory (both > 0)."""
    t = np.arange(pod.start, pod.end, dtype=np.float64)
    daily = 0.5 + 0.5 * np.sin(2 * np.pi * (t / PER_DAY - 0.25))
    noise = rng.lognormal(0.0, 0.3, size=t.size)
    cpu = container.cpu_level_cores * (0.3 + 0.7 * daily) * noise
    climb = (t - pod.start) / max(pod.end - pod.start, 1)
    memory = container.memory_base_bytes * (1 + 0.2 * climb + 0.05 * rng.random(t.size))
    return PodUsage(pod.start, np.round(cpu, 6), np.round(memory))
