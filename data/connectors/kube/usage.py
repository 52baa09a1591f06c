"""Per-workload usage from cAdvisor joined through the owner chain (not wired into collect.py
yet: item 3 of issue 20 decides the statistics; these are the queries it builds on).

    cAdvisor series ──* on (cluster, namespace, pod) group_left (workload, workload_type)──►
        pod_owner_expr(window_s=<the range>)    (pods seen in the range, so a pod that ended
                                                 mid-hour, e.g. a rollout's old pod, still
                                                 joins: its usage in that hour counts)
"""

from __future__ import annotations

from collections.abc import Mapping

from data.connectors.kube.owners import pod_owner_expr

WORKLOAD_BY = "cluster, namespace, workload, workload_type"
_CONTAINERS = '{container!="",container!="POD"}'  # not the pod cgroup, not the pause container


def _joined(expr: str, *, window_s: int, matchers: Mapping[str, str] | None) -> str:
    owners = pod_owner_expr(window_s=window_s, matchers=matchers)
    return f"({expr}) * on (cluster, namespace, pod) group_left (workload, workload_type) {owners}"


def hourly_cpu_cores_expr(*, matchers: Mapping[str, str] | None = None) -> str:
    """Mean CPU cores each workload used over the hour ending at each step (step 1h): every
    container of every pod that ran in the hour, summed."""
    rate = (
        "sum by (cluster, namespace, pod) "
        f"(rate(container_cpu_usage_seconds_total{_CONTAINERS}[1h]))"
    )
    return f"sum by ({WORKLOAD_BY}) ({_joined(rate, window_s=3600, matchers=matchers)})"


def hourly_pod_memory_peak_bytes_expr(*, matchers: Mapping[str, str] | None = None) -> str:
    """The largest one pod's working set reached in the hour (per pod: its containers' hourly
    peaks summed; then the max over pods): never the old and new pods of a rollout summed."""
    peak = (
        "sum by (cluster, namespace, pod) "
        f"(max_over_time(container_memory_working_set_bytes{_CONTAINERS}[1h]))"
    )
    return f"max by ({WORKLOAD_BY}) ({_joined(peak, window_s=3600, matchers=matchers)})"


def container_cpu_cores_expr(
    *, scrape_interval_s: int = 60, matchers: Mapping[str, str] | None = None
) -> str:
    """CPU cores per pod and container at each step, labelled with the workload: the
    per-container distribution request sizing takes percentiles of (replicas never summed).

    The rate window is two scrape intervals: the narrowest that holds two samples at every
    evaluation time. (KRR's 75 s on 60 s scrapes holds two only when a step falls within
    15 s after a scrape; at other phases `rate` has one sample and returns nothing.)"""
    rate_window_s = 2 * scrape_interval_s
    rate = (
        "sum by (cluster, namespace, pod, container) "
        f"(rate(container_cpu_usage_seconds_total{_CONTAINERS}[{rate_window_s}s]))"
    )
    owners = pod_owner_expr(matchers=matchers)
    return f"({rate}) * on (cluster, namespace, pod) group_left (workload, workload_type) {owners}"
