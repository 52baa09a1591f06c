"""What per-workload statistics must be, computed from the generated cluster's own arrays.

Every sample of a pod counts for its workload (the hourly queries map pods to workloads with
the owners seen over the whole queried range); a pod's first sample has no CPU rate (a rate
needs two samples).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tests.support.kube_history import (
    PER_HOUR,
    ClusterHistory,
    Floats,
    Workload,
)


@dataclass(frozen=True)
class HourlyTruth:
    """Per hour of history (index = hour since the start): NaN where the workload had no pod."""

    cpu_used_mean_cores: Floats
    cpu_used_p95_cores: Floats
    memory_used_max_gib: Floats


def workload_minutes(history: ClusterHistory, workload: Workload) -> tuple[Floats, Floats]:
    """(summed CPU cores, summed memory bytes) at each sample, NaN where no pod runs."""
    cpu = np.full(history.samples, np.nan)
    memory = np.full(history.samples, np.nan)
    for pod in workload.pods:
        for container in pod.containers:
            usage = history.usage[(workload.namespace, pod.name, container.name)]
            idx = np.arange(pod.start, pod.end)
            rated = idx >= pod.start + 1
            cpu[idx[rated]] = np.nan_to_num(cpu[idx[rated]]) + usage.cpu_cores[rated]
            memory[idx] = np.nan_to_num(memory[idx]) + usage.memory_bytes
    return cpu, memory


def hourly_truth(history: ClusterHistory, workload: Workload) -> HourlyTruth:
    """Mean of the summed CPU over the hour's minutes (none: 0), p95 over the minutes with a
    value (numpy's linear rule is Prometheus's), max of the summed memory."""
    cpu, memory = workload_minutes(history, workload)
    hours = history.samples // PER_HOUR
    by_hour_cpu = cpu[: hours * PER_HOUR].reshape(hours, PER_HOUR)
    by_hour_memory = memory[: hours * PER_HOUR].reshape(hours, PER_HOUR)
    mean = np.full(hours, np.nan)
    p95 = np.full(hours, np.nan)
    peak = np.full(hours, np.nan)
    for h in range(hours):
        values = by_hour_cpu[h][~np.isnan(by_hour_cpu[h])]
        if values.size:
            mean[h] = values.sum() / PER_HOUR
            p95[h] = float(np.quantile(values, 0.95))
        mem = by_hour_memory[h][~np.isnan(by_hour_memory[h])]
        if mem.size:
            peak[h] = mem.max() / 2**30
    return HourlyTruth(mean, p95, peak)


def old_style_memory(history: ClusterHistory, workload: Workload) -> Floats:
    """The previous collector's hourly memory: each pod's max over the hour, summed over pods
    (a rollout hour counts the old and the new pods' peaks together)."""
    hours = history.samples // PER_HOUR
    total = np.zeros(hours)
    for pod in workload.pods:
        for container in pod.containers:
            usage = history.usage[(workload.namespace, pod.name, container.name)]
            series = np.full(hours * PER_HOUR, np.nan)
            series[pod.start : pod.end] = usage.memory_bytes[: hours * PER_HOUR - pod.start]
            per_hour = series.reshape(hours, PER_HOUR)
            has = ~np.all(np.isnan(per_hour), axis=1)
            total[has] += np.nanmax(per_hour[has], axis=1)
    return total / 2**30
