"""Measure: the old statistics vs decision 018's on the generated cluster (3 days, 60 s).

Usage: python bench/kube_statistics_effect.py [--days D]

Computed from the generator's own per-pod, per-container arrays (no Prometheus: each
statistic is the arithmetic its PromQL performs), per workload container:
- old CPU per replica: hourly p95 over 5-minute steps of the replicas' *summed* 10-minute
  rates, divided by the replicas, then the p95 over the hours (engine/rules/sizing.needs);
- new CPU: each pod's p95 of its 1-minute rates, max over pods (what KRR computes);
- the two steps apart: the 10-minute rate at 5-minute steps per pod (no summing);
- old memory per replica: max over hours of the pods' hourly peaks summed, / replicas;
  new: each pod's max, max over pods (never a rollout's old and new pods summed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.kube_history import PER_HOUR, ClusterHistory, Floats, Workload, generate


def minute_rates(history: ClusterHistory, w: Workload, container: str) -> Floats:
    """(pods, samples) CPU cores per 1-minute interval, NaN where the pod is not running."""
    out = np.full((len(w.pods), history.samples), np.nan)
    for p, pod in enumerate(w.pods):
        usage = history.usage[(w.namespace, pod.name, container)]
        out[p, pod.start + 1 : pod.end] = usage.cpu_cores[1:]
    return out


def smoothed(rates: Floats, *, window: int = 10, step: int = 5) -> Floats:
    """rate(...[10m]) at 5-minute steps: the mean of the last `window` minute rates."""
    padded = np.where(np.isnan(rates), 0.0, rates)
    counts = np.cumsum(~np.isnan(rates), axis=1)
    sums = np.cumsum(padded, axis=1)
    idx = np.arange(window - 1, rates.shape[1], step)
    n = counts[:, idx] - np.where(idx >= window, counts[:, idx - window], 0)
    s = sums[:, idx] - np.where(idx >= window, sums[:, idx - window], 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n >= 2, s / np.maximum(n, 1), np.nan)


def old_cpu(history: ClusterHistory, w: Workload, container: str) -> float:
    steps = smoothed(minute_rates(history, w, container))
    summed = np.where(np.all(np.isnan(steps), axis=0), np.nan, np.nansum(steps, axis=0))
    per_hour = PER_HOUR // 5
    hours = summed[: summed.size // per_hour * per_hour].reshape(-1, per_hour)
    hourly = [np.quantile(h[~np.isnan(h)], 0.95) for h in hours if (~np.isnan(h)).any()]
    return float(np.percentile(np.array(hourly) / max(w.replicas, 1), 95))


def per_pod_p95(rates: Floats) -> float:
    return float(max(np.quantile(r[~np.isnan(r)], 0.95) for r in rates if (~np.isnan(r)).any()))


def memories(history: ClusterHistory, w: Workload, container: str) -> tuple[float, float]:
    """(old per-replica memory max, new: max over pods of each pod's max), bytes."""
    hours = history.samples // PER_HOUR
    summed = np.zeros(hours)
    peak = 0.0
    for pod in w.pods:
        series = np.full(hours * PER_HOUR, np.nan)
        series[pod.start : pod.end] = history.usage[(w.namespace, pod.name, container)].memory_bytes
        by_hour = series.reshape(hours, PER_HOUR)
        seen = ~np.all(np.isnan(by_hour), axis=1)
        summed[seen] += np.nanmax(by_hour[seen], axis=1)
        peak = max(peak, float(np.nanmax(series)))
    return float(summed.max()) / max(w.replicas, 1), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3)
    days = parser.parse_args().days
    history = generate(days)
    cpu_total, cpu_rate, memory_rollout = [], [], []
    for w in history.found(history.start, history.end):
        if w.kind != "Deployment" or w.replicas < 1:
            continue
        for c in w.containers:
            rates = minute_rates(history, w, c.name)
            new = per_pod_p95(rates)
            cpu_total.append(old_cpu(history, w, c.name) / new - 1)
            cpu_rate.append(per_pod_p95(smoothed(rates)) / new - 1)
            if len(w.replicasets) == 2:
                old, peak = memories(history, w, c.name)
                memory_rollout.append(old / peak - 1)
    print(f"{len(cpu_total)} Deployment containers over {days} d at 60 s")
    for name, values in (
        ("old CPU p95 per replica vs per-pod p95", cpu_total),
        ("10-min rate at 5-min steps alone", cpu_rate),
        ("old memory max per replica, rollouts", memory_rollout),
    ):
        v = np.array(values) * 100
        print(
            f"  {name}: median {np.median(v):+.1f} % (range {v.min():+.1f} to {v.max():+.1f} %,"
            f" {np.mean(np.abs(v) <= 5):.0%} within 5 %)"
        )


if __name__ == "__main__":
    main()
