"""The fleet's rules in batches (the recompute's engine step, in-process or in a cluster worker)."""

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


def evaluate(contexts: Sequence[ServiceContext]) -> tuple[Recommendation, ...]:
    """rules.recommend for every context as offered (rules.offer), flattened in order, in
    BATCH-service batches in this process. (A cluster runs this per batch in its workers:
    jobs.cluster_eval. recommend never raises for one service: a rule the engine cannot run is
    that rule's "not_applicable" value.)"""
    starts = range(0, len(contexts), BATCH)
    return tuple(rec for a in starts for rec in evaluate_range(contexts[a : a + BATCH]))


def evaluate_range(contexts: Sequence[ServiceContext]) -> tuple[Recommendation, ...]:
    """rules.recommend_many over one batch (the SLA engine's per-hour work is batched within
    it; BATCH services bound its matrices to tens of MB), each service's results as offered
    (rules.offer: SLA verdict kept, one config proposed once)."""
    # A collection right after a 256-service batch finds nothing unreachable: the GC's passes
    # during one cost ~3 % of the CPU in-process (decision 029, session 9).
    with cyclic_gc_paused():
        batch = rules.recommend_many(contexts)
        return tuple(rec for results in batch for rec in rules.offer(results))
