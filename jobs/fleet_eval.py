"""The fleet's rules in batches: in-process (the reference), or shipped to a local Dask cluster."""

from __future__ import annotations

import gc
import os
from collections.abc import Sequence

from engine import rules
from engine.context import ServiceContext
from engine.queueing_table import warm
from engine.recommendation import Recommendation
from engine.sla.latency import LATENCY_QUANTILE
from jobs.gc_pause import cyclic_gc_paused

BATCH = 64  # services judged together: ~40 candidate rows × 336 hours each


def warm_worker() -> int:
    """Import the engine and build its queueing tables in a worker process before its first
    batch, so the first run is not charged seconds of start-up; returns the worker's pid.

    Then everything the worker holds so far (modules, tables, Dask's own state: ~67,000
    objects) is put out of the cyclic GC's reach (`gc.freeze`): it lives as long as the
    worker, and every full collection walked all of it again (a full collection in a bench
    worker: 58 -> 13-22 ms of CPU; decision 029, session 10). Reference counting still frees
    what a batch makes."""
    warm(LATENCY_QUANTILE)
    gc.freeze()
    return os.getpid()


def evaluate(contexts: Sequence[ServiceContext], *, workers: int = 1) -> tuple[Recommendation, ...]:
    """rules.recommend for every context as offered (rules.offer), flattened in order.

    In-process when workers <= 1 or the contexts fill fewer than two batches. Otherwise on a
    Dask LocalCluster of `workers` processes started for this call, the contexts shipped to
    it as values: the bench's way of spreading contexts it synthesized. Recompute itself
    sends batches that read their own usage from the database (jobs.cluster_eval). The same
    values, in the same order. (recommend never raises for one service: a rule the engine
    cannot run is that rule's "not_applicable" value.)"""
    starts = range(0, len(contexts), BATCH)
    if workers <= 1 or len(starts) < 2:
        return tuple(rec for a in starts for rec in evaluate_range(contexts[a : a + BATCH]))
    from distributed import Client  # 1-2 s to import: only when used

    from jobs.cluster import local_cluster  # imports this module: not at the top

    parts = [list(contexts[a : a + BATCH]) for a in starts]
    with local_cluster(workers) as cluster, Client(cluster) as client:
        client.run(warm_worker)
        results = client.gather(client.map(evaluate_range, parts, pure=False))
    return tuple(rec for result in results for rec in result)


def evaluate_range(contexts: Sequence[ServiceContext]) -> tuple[Recommendation, ...]:
    """rules.recommend_many over one batch (the SLA engine's per-hour work is batched within
    it; BATCH services bound its matrices to tens of MB), each service's results as offered
    (rules.offer: SLA verdict kept, one config proposed once)."""
    # A collection right after a 256-service batch finds nothing unreachable: the GC's passes
    # during one cost ~3 % of the CPU in-process (decision 029, session 9).
    with cyclic_gc_paused():
        batch = rules.recommend_many(contexts)
        return tuple(rec for results in batch for rec in rules.offer(results))
