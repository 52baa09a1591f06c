"""Benchmark: SLA engine throughput, 200 candidates × 2,160 hours, against a numpy lower bound."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

# `make bench` runs this file directly: put the repository root on the import path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.seasonal import HOURS, seasonal_window
from engine.capacity import CapacityConfig
from engine.queueing import erlang_c, response_time_quantile_s
from engine.service import Sla
from engine.sla import Candidates, evaluate_candidates, policy_for
from engine.usage import UsageWindow

CANDIDATES = 200
REPEATS = 5
SEED = 42


def usage_window(rng: np.random.Generator) -> UsageWindow:
    """90 days of the benchmarks' seasonal service (bench/seasonal.py)."""
    return seasonal_window(rng.uniform(0.9, 1.1, HOURS), rng, start="2026-08-01T00:00:00")


def joint_grid() -> Candidates:
    """A joint search: 10 sizes × replicas 1–20 (server counts repeat across rows)."""
    vcpu = np.repeat([0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0], 20)
    replicas = np.tile(np.arange(1, 21), 10)
    return _candidates(replicas, vcpu)


def distinct_grid() -> Candidates:
    """The worst case: every candidate and every N+1 config has its own server count."""
    vcpu = np.linspace(0.75, 6.0, CANDIDATES)
    return _candidates(np.full(CANDIDATES, 3), vcpu)


def _candidates(replicas: np.ndarray, vcpu: np.ndarray) -> Candidates:
    return Candidates(
        replicas=replicas.astype(np.int64),
        vcpu_per_replica=vcpu.astype(np.float64),
        memory_gib_per_replica=4.0 * vcpu.astype(np.float64),
        zones=np.full(len(replicas), 2, dtype=np.int64),
    )


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """Best and median wall seconds over REPEATS runs (after one warm-up)."""
    run()
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return min(samples), statistics.median(samples)


def main() -> int:
    rng = np.random.default_rng(SEED)
    usage = usage_window(rng)
    current = CapacityConfig("vm", 4, 2, 2, 2.0, 8.0, instance_type="m5.large")
    sla = Sla(latency_p95_target_ms=250.0, availability_target_pct=99.9, max_error_rate_pct=1.0)
    policy = policy_for("standard")
    cells = CANDIDATES * HOURS
    grid = rng.uniform(0.0, 1.0, (CANDIDATES, HOURS))
    floor_s, _ = timed(lambda: np.exp(grid))
    print(f"SLA engine: {CANDIDATES} candidates × {HOURS:,} hours = {cells:,} candidate-hours")
    print(f"  numpy lower bound (one np.exp over the grid): {floor_s * 1e3:.1f} ms")
    for name, candidates in (("joint grid", joint_grid()), ("distinct servers", distinct_grid())):
        run = partial(evaluate_candidates, usage, current, candidates, sla=sla, policy=policy)
        best_s, median_s = timed(run)
        print(
            f"  evaluate_candidates, {name}: {best_s:.3f} s best, {median_s:.3f} s median, "
            f"{cells / best_s:,.0f} candidate-hours/s, {best_s / floor_s:,.0f}× the bound"
        )
    servers = distinct_grid().cpu_capacity_cores[:, None]
    load = (usage.requests_per_s * 0.01)[None, :]
    erlang_s, _ = timed(lambda: erlang_c(servers, load))
    quantile_s, _ = timed(lambda: response_time_quantile_s(0.95, load / 0.01, 0.01, servers))
    print(
        f"  per {cells:,} cells alone: erlang_c {erlang_s:.3f} s, p95 quantile {quantile_s:.3f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
