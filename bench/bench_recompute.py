"""Benchmark: fleet recompute — `recommend` on N synthetic services × 90 days hourly.

Usage: python bench/bench_recompute.py [N] [--profile [tottime]] [--lookback-14] [--workers W]
                                      [--digest]
(N defaults to 1,000; W to 1 — jobs.fleet_eval.evaluate, the in-process path recompute runs.
W > 1 runs the batches on a Dask LocalCluster of W processes: each worker synthesizes its own
contiguous share of the same fleet before the clock starts — as recompute's workers read their
own usage (bench/bench_distributed.py measures that path with a database) — so the timed part
is the engine on every core plus the recommendations coming back as values, not the shipping
of 1.2 GB of synthetic arrays through the scheduler, nor the cluster's start)

Rules size on the whole 90 days (profile lookback 90); --lookback-14 keeps the balanced default.

Prints wall time, CPU seconds, peak RSS and the ratio against the numpy lower bound of the same
data pass: one `np.percentile` over the (N × hours) CPU matrix. --digest also prints a SHA-256
over the `repr` of every recommendation, in order: equal digests, equal recommendations (how a
speed-up is checked to change nothing; decision 029 lists the digests).
"""

from __future__ import annotations

import cProfile
import hashlib
import os
import pstats
import resource
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

# Run directly: put the repository root on the import path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data.catalog.loader import load_catalog
from engine.capacity import CapacityConfig
from engine.catalog import Catalog
from engine.context import ServiceContext
from engine.profiles import PROFILES, SizingProfile
from engine.recommendation import Recommendation
from engine.service import Service, Sla
from engine.sla import policy_for
from engine.usage import UsageWindow
from jobs.cluster import CLUSTER_BATCH, in_order, local_cluster, submit_whole
from jobs.fleet_eval import evaluate, warm_worker

DAYS = 90
HOURS = DAYS * 24
SEED = 42
NOW = datetime(2026, 11, 1, tzinfo=UTC)
VM_TYPES = ("m5.large", "m5.xlarge", "m6i.xlarge", "c5.2xlarge", "r5.large")
PROFILE_90 = replace(PROFILES["balanced"], lookback_days=DAYS)


def cpu_matrix(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n × hours) p95 CPU as a fraction of capacity: daily wave × per-service level × noise."""
    t = np.arange(HOURS, dtype=np.float64)
    wave = 0.6 + 0.4 * np.sin(2 * np.pi * (t[None, :] / 24 + rng.uniform(0, 1, (n, 1))))
    level = rng.uniform(0.05, 0.8, (n, 1))
    return level * wave * rng.uniform(0.9, 1.2, (n, HOURS))


def fleet(
    n: int, profile: SizingProfile, start: int = 0, stop: int | None = None
) -> list[ServiceContext]:
    """Services start..stop of the seeded N-service fleet: the same contexts whatever the slice
    (every random draw is made for the whole fleet, in one order)."""
    rng = np.random.default_rng(SEED)
    catalog = load_catalog()
    fractions = cpu_matrix(n, rng)
    replicas = [int(rng.integers(2, 9)) for _ in range(n)]
    stop = n if stop is None else stop
    return [context(i, fractions[i], catalog, replicas[i], profile) for i in range(start, stop)]


def context(
    index: int,
    fraction: np.ndarray,
    catalog: Catalog,
    replicas: int,
    profile: SizingProfile,
) -> ServiceContext:
    """Service `index`: a VM (even) or pods (odd), 2–8 replicas, prod 99.9 % SLA."""
    if index % 2 == 0:
        spec = catalog.spec(VM_TYPES[index % len(VM_TYPES)])
        config = CapacityConfig("vm", replicas, 2, 2, spec.vcpu, spec.memory_gib, spec.name)
        region = "us-east-1"
    else:
        config = CapacityConfig("kubernetes", replicas, 2, 2, 1.0, 2.0, None, 1.0, 2.0)
        region = "us-central1"
    capacity = config.cpu_capacity_cores
    cpu = fraction * capacity
    requests = cpu / 0.01
    service = Service(
        index, f"svc-{index}", f"Service {index}", "team", "owner", "prod", config.platform,
        "aws", region, "standard", Sla(300.0, 99.9, 1.0),
    )  # fmt: skip
    usage = UsageWindow(
        service_id=index,
        hour_start=np.datetime64("2026-08-03T00:00:00") + np.arange(HOURS) * np.timedelta64(1, "h"),
        cpu_used_mean_cores=cpu * 0.8,
        cpu_used_p95_cores=cpu,
        memory_used_max_gib=np.full(HOURS, 0.4 * config.memory_capacity_gib),
        requests_per_s=requests,
        latency_p95_ms=80.0 + 40.0 * fraction,
        error_rate_pct=np.full(HOURS, 0.1),
    )
    return ServiceContext(service, config, usage, catalog, profile, policy_for("standard"), NOW)


def run(
    n: int, profile: SizingProfile, workers: int = 1
) -> tuple[float, float, list[Recommendation]]:
    """(recompute seconds, numpy lower-bound seconds, the recommendations in order)."""
    fractions = cpu_matrix(n, np.random.default_rng(SEED))
    start = time.perf_counter()
    np.percentile(fractions, 90, axis=1)
    bound_s = time.perf_counter() - start
    del fractions
    if workers > 1:
        wall_s, recs = on_cluster(n, profile, workers)
    else:
        contexts = fleet(n, profile)
        start, cpu_start = time.perf_counter(), time.process_time()
        recs = list(evaluate(contexts))
        wall_s = time.perf_counter() - start
        print(f"recompute CPU time (this process): {time.process_time() - cpu_start:.2f} s")
    return wall_s, bound_s, recs


def outcome_counts(recs: list[Recommendation]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for rec in recs:
        counts[rec.outcome] = counts.get(rec.outcome, 0) + 1
    return counts


def digest(recs: list[Recommendation]) -> str:
    """SHA-256 over the repr of every recommendation, in order (first 16 hex digits)."""
    hashed = hashlib.sha256()
    for rec in recs:
        hashed.update(repr(rec).encode())
    return hashed.hexdigest()[:16]


def on_cluster(n: int, profile: SizingProfile, workers: int) -> tuple[float, list[Recommendation]]:
    """(wall seconds, recommendations) of the batches on a LocalCluster whose workers each hold
    their share of the fleet, synthesized there before the clock starts."""
    from distributed import Client

    with local_cluster(workers) as cluster, Client(cluster, direct_to_workers=True) as client:
        client.run(warm_worker)  # as FleetCluster connects to its local cluster
        addresses = sorted(client.scheduler_info()["workers"])
        shares = np.array_split(np.arange(n), len(addresses))
        ready = [
            client.submit(
                _hold_share, n, profile, int(s[0]), int(s[-1]) + 1, workers=[a], pure=False
            )
            for a, s in zip(addresses, shares, strict=True)
        ]
        batches = client.gather(ready)
        cpu_before = sum(client.run(_cpu_s).values())
        start, cpu_start = time.perf_counter(), time.process_time()
        futures = [
            submit_whole(client, _evaluate_held, a0, a1, workers=[address])
            for address, spans in zip(addresses, batches, strict=True)
            for a0, a1 in spans
        ]
        # Shipped and collected as recompute's batches are (jobs.cluster: each batch's results
        # one pickle; in order, the cyclic GC off while they are unpickled), not client.gather.
        results: Iterator[tuple[Recommendation, ...]] = in_order(client, futures, what="bench")
        recs = [rec for result in results for rec in result]
        wall_s = time.perf_counter() - start
        workers_cpu_s = sum(client.run(_cpu_s).values()) - cpu_before
    print(f"recompute CPU time (this process): {time.process_time() - cpu_start:.2f} s")
    print(f"recompute CPU time (workers): {workers_cpu_s:.2f} s")
    return wall_s, recs


def _hold_share(n: int, profile: SizingProfile, start: int, stop: int) -> list[tuple[int, int]]:
    """Synthesize services start..stop in this worker and keep them on the worker object (this
    module's globals travel by value with each task); its tasks as (first, end) indices: as
    recompute's cluster path, CLUSTER_BATCH services a task (evaluated in BATCH-service batches)."""
    from distributed import get_worker

    held = dict(zip(range(start, stop), fleet(n, profile, start, stop), strict=True))
    setattr(get_worker(), "bench_held", held)  # noqa: B010
    return [(a, min(a + CLUSTER_BATCH, stop)) for a in range(start, stop, CLUSTER_BATCH)]


def _evaluate_held(first: int, end: int) -> tuple[Recommendation, ...]:
    from distributed import get_worker

    held: dict[int, ServiceContext] = getattr(get_worker(), "bench_held")  # noqa: B009
    return evaluate([held[i] for i in range(first, end)])


def _cpu_s() -> float:
    return time.process_time()


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv and argv[0].isdigit() else 1_000
    profiler = cProfile.Profile() if "--profile" in argv else None
    if profiler:
        profiler.enable()
    profile = PROFILES["balanced"] if "--lookback-14" in argv else PROFILE_90
    workers = int(argv[argv.index("--workers") + 1]) if "--workers" in argv else 1
    wall_s, bound_s, recs = run(n, profile, workers)
    if profiler:
        profiler.disable()
        order = "tottime" if "tottime" in argv else "cumulative"
        pstats.Stats(profiler).sort_stats(order).print_stats(60)
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"services: {n:,} × {HOURS:,} hours, lookback {profile.lookback_days} days")
    print(f"workers: {workers}")
    print(f"outcomes: {outcome_counts(recs)}")
    if "--digest" in argv:
        print(f"digest (SHA-256 of every recommendation's repr): {digest(recs)}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"recompute wall time: {wall_s:.2f} s   ({1000 * wall_s / n:.2f} ms/service)")
    print(f"load average (1, 5, 15 min) at the end: {load}  (wall times inflate with it)")
    print(f"numpy lower bound (one percentile over {n:,} × {HOURS:,}): {bound_s:.3f} s")
    print(f"ratio to the bound: {wall_s / bound_s:,.0f}×   peak RSS: {rss_mib:,.0f} MiB")
    if workers > 1:  # the cluster's worker processes (children of its nannies)
        child_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"largest worker peak RSS: {child_mib:,.0f} MiB")


if __name__ == "__main__":
    main(sys.argv[1:])
