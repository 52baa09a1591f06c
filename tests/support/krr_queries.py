"""KRR `simple`'s Prometheus traffic, reproduced: its pod discovery and its per-object query
templates verbatim (recommender-reference.md §B.1), pods batched as KRR batches them, run on
KRR's thread pool. The oracle of the agreement test and the baseline of bench_kube_sizing."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from data.connectors.prometheus.client import PrometheusClient
from data.connectors.prometheus.selectors import regex_literal

OWNER_BATCH = 100  # KRR_OWNER_BATCH_SIZE
PODS_BATCH = 50  # pods_batch_size
WORKERS = 6  # max_workers

CPU_P95 = """quantile_over_time(
    0.95,
    max(
        rate(
            container_cpu_usage_seconds_total{{
                namespace="{namespace}",
                pod=~"{pods_selector}",
                container="{container}"
            }}[{step}]
        )
    ) by (container, pod, job)
    [{duration}:{step}]
)"""
CPU_AMOUNT = """count_over_time(
    max(
        container_cpu_usage_seconds_total{{
            namespace="{namespace}",
            pod=~"{pods_selector}",
            container="{container}"
        }}
    ) by (container, pod, job)
    [{duration}:{step}]
)"""
MEMORY_MAX = """max_over_time(
    max(
        container_memory_working_set_bytes{{
            namespace="{namespace}",
            pod=~"{pods_selector}",
            container="{container}"
        }}
    ) by (container, pod, job)
    [{duration}:{step}]
)"""
MEMORY_AMOUNT = """count_over_time(
    max(
        container_memory_working_set_bytes{{
            namespace="{namespace}",
            pod=~"{pods_selector}",
            container="{container}"
        }}
    ) by (container, pod, job)
    [{duration}:{step}]
)"""


@dataclass(frozen=True)
class KrrObject:
    """One KRR object: a workload's container."""

    namespace: str
    kind: str
    name: str
    container: str


@dataclass(frozen=True)
class KrrResult:
    cpu_p95_cores: float | None
    memory_max_bytes: float | None
    cpu_points: int
    memory_points: int
    pods: int


def run_krr(
    client: PrometheusClient,
    objects: Sequence[KrrObject],
    *,
    at: datetime,
    duration: str,
    step: str = "75s",
    workers: int = WORKERS,
) -> dict[KrrObject, KrrResult]:
    """Every object's pods, then its four metric queries, `workers` objects at a time."""

    def one(obj: KrrObject) -> tuple[KrrObject, KrrResult]:
        pods = load_pods(client, obj, at=at, period=duration)
        return obj, gather(client, obj, pods, at=at, duration=duration, step=step)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(one, objects))


def load_pods(client: PrometheusClient, obj: KrrObject, *, at: datetime, period: str) -> list[str]:
    """prometheus_metrics_service.load_pods: owners first (ReplicaSets, Jobs), then their pods,
    then which of them run now."""
    ns = obj.namespace
    if obj.kind in ("Deployment", "CronJob"):
        parent, label, kind = (
            ("kube_replicaset_owner", "replicaset", "ReplicaSet")
            if obj.kind == "Deployment"
            else ("kube_job_owner", "job_name", "Job")
        )
        owned = client.query(
            f'{parent}{{owner_name="{obj.name}", owner_kind="{obj.kind}", namespace="{ns}"}}'
            f"[{period}]",
            at=at,
        )
        owners = sorted({s.labels[label] for s in owned.series})
    else:
        owners, kind = [obj.name], obj.kind
    pods: set[str] = set()
    for i in range(0, len(owners), OWNER_BATCH):
        regex = "|".join(regex_literal(o) for o in owners[i : i + OWNER_BATCH])
        found = client.query(
            f'last_over_time(kube_pod_owner{{owner_name=~"{regex}", owner_kind="{kind}", '
            f'namespace="{ns}"}}[{period}])',
            at=at,
        )
        pods |= {s.labels["pod"] for s in found.series}
    names = sorted(pods)
    for i in range(0, len(names), OWNER_BATCH):
        regex = "|".join(regex_literal(p) for p in names[i : i + OWNER_BATCH])
        client.query(
            f'kube_pod_status_phase{{phase="Running", pod=~"{regex}", namespace="{ns}"}} == 1',
            at=at,
        )
    return names


def gather(
    client: PrometheusClient,
    obj: KrrObject,
    pods: Sequence[str],
    *,
    at: datetime,
    duration: str,
    step: str,
) -> KrrResult:
    """The four loaders of `simple` per batch of 50 pods; CPU and memory take the max over
    pods, the point counts their sum (KRR's `points_required` check)."""
    cpu: list[float] = []
    memory: list[float] = []
    counts = {"cpu": 0, "memory": 0}
    for i in range(0, len(pods), PODS_BATCH):
        fields = {
            "namespace": obj.namespace,
            "container": obj.container,
            "step": step,
            "duration": duration,
            "pods_selector": "|".join(regex_literal(p) for p in pods[i : i + PODS_BATCH]),
        }
        cpu += [float(s.values[-1]) for s in client.query(CPU_P95.format(**fields), at=at).series]
        memory += [
            float(s.values[-1]) for s in client.query(MEMORY_MAX.format(**fields), at=at).series
        ]
        for name, template in (("cpu", CPU_AMOUNT), ("memory", MEMORY_AMOUNT)):
            answer = client.query(template.format(**fields), at=at)
            counts[name] += int(sum(float(s.values[-1]) for s in answer.series))
    return KrrResult(
        max(cpu, default=None),
        max(memory, default=None),
        counts["cpu"],
        counts["memory"],
        len(pods),
    )
