"""The owner join onto cAdvisor against a real Prometheus: per-container CPU at sample
resolution, hourly per-workload CPU and per-pod memory peaks equal the generated truth."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import pytest

from data.connectors.kube.usage import (
    container_cpu_cores_expr,
    hourly_cpu_cores_expr,
    hourly_pod_memory_peak_bytes_expr,
)
from data.connectors.prometheus import PrometheusClient
from tests.support.kube_history import KSM_EVERY, PER_HOUR, ClusterHistory, Pod, Workload
from tests.support.kube_prometheus import KubePrometheus

pytestmark = pytest.mark.prometheus
HOURS = 24


@pytest.fixture
def client(kube_prometheus: KubePrometheus) -> Iterator[PrometheusClient]:
    client = PrometheusClient.from_url(kube_prometheus.url, timeout_s=60.0)
    yield client
    client.close()


def hourly(
    client: PrometheusClient, promql: str, history: ClusterHistory
) -> dict[tuple[str, str], dict[int, float]]:
    """(namespace, workload) → {hour index: value} for the last HOURS whole hours."""
    start = history.end - timedelta(hours=HOURS - 1)
    result = client.query_range(promql, start=start, end=history.end, step_s=3600)
    t0 = history.start.timestamp()
    return {
        (s.labels["namespace"], s.labels["workload"]): {
            round((t - t0) / 3600) - 1: float(v)
            for t, v in zip(s.timestamps.tolist(), s.values.tolist(), strict=True)
        }
        for s in result.series
    }


def pods_in_hour(workload: Workload, hour: int) -> list[Pod]:
    """Pods with a cAdvisor and a kube-state-metrics sample in the hour (what both joins see)."""
    first, last = hour * PER_HOUR, hour * PER_HOUR + PER_HOUR - 1
    return [
        p
        for p in workload.pods
        if p.start <= last
        and p.end > first
        and any(k % KSM_EVERY == 0 for k in range(max(p.start, first), min(p.end, last + 1)))
    ]


def test_per_container_cpu_at_each_step_is_the_generated_sample(
    client: PrometheusClient, kube_prometheus: KubePrometheus
) -> None:
    history = kube_prometheus.history
    start = history.end - timedelta(hours=2)

    result = client.query_range(container_cpu_cores_expr(), start=start, end=history.end,
                                step_s=60)  # fmt: skip

    assert len(result.series) >= 150
    for series in result.series:
        key = (series.labels["namespace"], series.labels["pod"], series.labels["container"])
        usage = history.usage[key]
        # A step at hh:mm:00 sees the samples at -90 s and -30 s: the rate is the usage of the
        # interval ending at the -30 s sample.
        index = [int((t - history.start.timestamp() - 30) // 60) - usage.start
                 for t in series.timestamps.tolist()]  # fmt: skip
        np.testing.assert_allclose(series.values, usage.cpu_cores[index], rtol=1e-6)


def test_hourly_pod_memory_peaks_are_never_summed_across_a_rollout(
    client: PrometheusClient, kube_prometheus: KubePrometheus
) -> None:
    history = kube_prometheus.history
    last_hour = history.samples // PER_HOUR - 1

    got = hourly(client, hourly_pod_memory_peak_bytes_expr(), history)

    checked, rollouts = 0, 0
    for workload in history.found(history.end - timedelta(hours=HOURS), history.end):
        for hour in range(last_hour - HOURS + 1, last_hour + 1):
            rollouts += len({p.owner_name for p in pods_in_hour(workload, hour)}) > 1
            peaks = [_pod_peak(history, workload, pod, hour)
                     for pod in pods_in_hour(workload, hour)]  # fmt: skip
            value = got.get((workload.namespace, workload.name), {}).get(hour)
            if not peaks:
                assert value is None
                continue
            assert value == pytest.approx(max(peaks), rel=1e-9), (workload.name, hour)
            checked += 1
    assert checked > 50 * 20
    assert rollouts > 0  # hours where an old and a new ReplicaSet's pods both ran


def test_hourly_cpu_sums_every_container_of_every_pod(
    client: PrometheusClient, kube_prometheus: KubePrometheus
) -> None:
    history = kube_prometheus.history
    last_hour = history.samples // PER_HOUR - 1

    got = hourly(client, hourly_cpu_cores_expr(), history)

    checked = 0
    for workload in history.found(history.end - timedelta(hours=HOURS), history.end):
        for hour in range(last_hour - HOURS + 1, last_hour + 1):
            first = hour * PER_HOUR
            pods = pods_in_hour(workload, hour)
            if not pods or any(p.start > first or p.end < first + PER_HOUR for p in pods):
                continue  # pods starting or ending in the hour: rate extrapolates their edges
            want = sum(
                history.usage[(workload.namespace, p.name, c.name)].cpu_cores[
                    first + 1 - p.start : first + PER_HOUR - p.start].mean()
                for p in pods
                for c in p.containers
            )  # fmt: skip
            value = got[(workload.namespace, workload.name)][hour]
            assert value == pytest.approx(want, rel=1e-6), (workload.name, hour)
            checked += 1
    assert checked > 50 * 20


def _pod_peak(history: ClusterHistory, workload: Workload, pod: Pod, hour: int) -> float:
    first, last = hour * PER_HOUR, hour * PER_HOUR + PER_HOUR
    total = 0.0
    for container in pod.containers:
        usage = history.usage[(workload.namespace, pod.name, container.name)]
        window = usage.memory_bytes[max(first - pod.start, 0) : max(last - pod.start, 0)]
        total += float(window.max())
    return total
