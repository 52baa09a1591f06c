"""Per-container sizing statistics against a real Prometheus holding the generated cluster:
equal to the truth computed from the generator's arrays, and within 5 % of what KRR's own
PromQL answers (run verbatim, pods listed as KRR lists them) for >= 95 % of workloads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import pytest

from data.connectors.kube.runs import StatsConfig, scrape_interval
from data.connectors.kube.shards import WorkloadTarget
from data.connectors.kube.sizing import Stats, fetch_sizing
from data.connectors.kube.usage_promql import unpack
from data.connectors.prometheus.client import PrometheusClient
from tests.support.krr_queries import KrrObject, KrrResult, run_krr
from tests.support.kube_history import ClusterHistory, Workload
from tests.support.kube_prometheus import KubePrometheus

pytestmark = pytest.mark.prometheus
TOLERANCE = 0.05


def window_s(history: ClusterHistory) -> int:
    return history.samples * 60


def found(history: ClusterHistory) -> list[Workload]:
    return history.found(history.start, history.end)


def targets_of(workloads: list[Workload]) -> list[WorkloadTarget]:
    return [
        WorkloadTarget(i, w.name, None, w.namespace, w.kind, w.name, len(w.containers))
        for i, w in enumerate(workloads)
    ]


@pytest.fixture(scope="module")
def client(kube_prometheus: KubePrometheus) -> Iterator[PrometheusClient]:
    client = PrometheusClient.from_url(kube_prometheus.url, timeout_s=120.0)
    yield client
    client.close()


@pytest.fixture(scope="module")
def ours(kube_prometheus: KubePrometheus, client: PrometheusClient) -> Stats:
    history = kube_prometheus.history
    config = StatsConfig(window_s=window_s(history))
    interval_s = scrape_interval(client, config, at=history.end)
    stats, _, issues = fetch_sizing(
        client, targets_of(found(history)), config, interval_s=interval_s, now=history.end
    )
    assert (interval_s, issues) == (60, {})
    return stats


@pytest.fixture(scope="module")
def krr(kube_prometheus: KubePrometheus, client: PrometheusClient) -> dict[KrrObject, KrrResult]:
    history = kube_prometheus.history
    objects = {
        KrrObject(w.namespace, w.kind, w.name, c.name)
        for w in found(history)
        for pod in w.pods
        for c in pod.containers
    }
    days = history.samples // (24 * 60)
    return run_krr(client, sorted(objects, key=str), at=history.end, duration=f"{days}d")


def per_pod_truth(history: ClusterHistory, w: Workload, container: str) -> tuple[float, float]:
    """(max over pods of each pod's CPU p95, max over pods of each pod's memory max)."""
    cpu, memory = [], []
    for pod in w.pods:
        if container not in {c.name for c in pod.containers}:
            continue
        usage = history.usage[(w.namespace, pod.name, container)]
        if usage.cpu_cores.size > 1:  # the first sample has no rate
            cpu.append(float(np.quantile(usage.cpu_cores[1:], 0.95)))
        memory.append(float(usage.memory_bytes.max()))
    return max(cpu), max(memory)


def test_cpu_p95_and_memory_max_are_the_max_over_pods_of_each_pods_own(
    kube_prometheus: KubePrometheus, ours: Stats
) -> None:
    history = kube_prometheus.history

    for w in found(history):
        for container in {c.name for pod in w.pods for c in pod.containers}:
            got = ours[("", w.namespace, w.kind, w.name)][container]
            cpu, memory = per_pod_truth(history, w, container)
            assert got["cpu_p95"] == pytest.approx(cpu, rel=1e-9), (w.name, container)
            assert got["memory_max"] == pytest.approx(memory, rel=1e-12), (w.name, container)


def test_samples_and_pods_seen_count_every_pod_of_the_workload(
    kube_prometheus: KubePrometheus, ours: Stats
) -> None:
    history = kube_prometheus.history
    rollout = next(w for w in found(history) if len(w.replicasets) == 2)

    got = ours[("", rollout.namespace, rollout.kind, rollout.name)][rollout.containers[0].name]

    pods, samples = unpack(got["counts"])
    assert pods == len(rollout.pods) == 2 * rollout.replicas
    assert samples == sum(p.end - p.start for p in rollout.pods)


def test_agrees_with_krrs_own_promql_within_5_pct_for_95_pct_of_workloads(
    kube_prometheus: KubePrometheus, ours: Stats, krr: dict[KrrObject, KrrResult]
) -> None:
    history = kube_prometheus.history

    verdicts = {}
    for w in found(history):
        mine = [o for o in krr if (o.namespace, o.kind, o.name) == (w.namespace, w.kind, w.name)]
        verdicts[(w.namespace, w.kind, w.name)] = bool(mine) and all(
            _agree(ours, o, krr[o]) for o in mine
        )

    rollouts = [w for w in found(history) if len(w.replicasets) == 2]
    share = sum(verdicts.values()) / len(verdicts)
    print(f"agreement: {share:.1%} of {len(verdicts)} workloads ({len(rollouts)} with a rollout)")
    assert len(verdicts) >= 50
    assert len(rollouts) >= 10
    assert share >= 0.95


def test_the_two_app_deployments_get_their_own_numbers(
    kube_prometheus: KubePrometheus, ours: Stats, krr: dict[KrrObject, KrrResult]
) -> None:
    history = kube_prometheus.history
    apps = [w for w in found(history) if w.namespace == "shop" and w.name in ("cart", "catalog")]

    numbers = [ours[("", w.namespace, w.kind, w.name)]["app"] for w in apps]

    assert numbers[0]["cpu_p95"] != numbers[1]["cpu_p95"]
    assert numbers[0]["memory_max"] != numbers[1]["memory_max"]
    for w, got in zip(apps, numbers, strict=True):
        assert (got["cpu_p95"], got["memory_max"]) == pytest.approx(
            per_pod_truth(history, w, "app"), rel=1e-9
        )
        obj = KrrObject(w.namespace, w.kind, w.name, "app")
        assert _agree(ours, obj, krr[obj])


def _agree(ours: Stats, obj: KrrObject, theirs: KrrResult) -> bool:
    got = ours.get(("", obj.namespace, obj.kind, obj.name), {}).get(obj.container, {})
    pairs = (
        (got.get("cpu_p95"), theirs.cpu_p95_cores),
        (got.get("memory_max"), theirs.memory_max_bytes),
    )
    return all(a is not None and b and abs(a / b - 1) <= TOLERANCE for a, b in pairs)


def test_a_window_ending_before_a_rollout_sees_only_the_old_pods(
    kube_prometheus: KubePrometheus, client: PrometheusClient
) -> None:
    history = kube_prometheus.history
    cart = next(w for w in found(history) if w.name == "cart")
    at = history.at(cart.pods[-1].start) - timedelta(minutes=5)  # before the new pods start

    stats, _, _ = fetch_sizing(
        client, targets_of([cart]), StatsConfig(window_s=6 * 3600), interval_s=60, now=at
    )

    assert unpack(stats[("", "shop", "Deployment", "cart")]["app"]["counts"])[0] == cart.replicas
