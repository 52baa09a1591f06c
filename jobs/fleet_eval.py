"""The fleet's rules across worker processes: the engine is pure, so services split freely."""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Sequence

from engine import rules
from engine.context import ServiceContext
from engine.queueing_table import warm
from engine.recommendation import Recommendation
from engine.sla_latency import LATENCY_QUANTILE

BATCH = 64  # services judged together: ~40 candidate rows × 336 hours each
CHUNKS_PER_WORKER = 4  # small enough to even out slow services, big enough to amortise pickling
# Set in the parent just before forking: children inherit the contexts copy-on-write instead of
# receiving them pickled (usage windows are most of a recompute's memory).
_SHARED: Sequence[ServiceContext] = ()


def default_workers() -> int:
    """One worker per CPU this process may use (at least 1)."""
    return max(len(os.sched_getaffinity(0)), 1)


def evaluate(contexts: Sequence[ServiceContext], *, workers: int = 1) -> tuple[Recommendation, ...]:
    """rules.recommend for every context, flattened in order. workers > 1 forks that many
    processes (POSIX) and splits the services in contiguous chunks: the same values, in the
    same order. (recommend never raises for one service: a rule the engine cannot run is that
    rule's "not_applicable" value.)"""
    if workers <= 1 or len(contexts) < 2 * workers or not _can_fork():
        return _evaluate_range(contexts, 0, len(contexts))
    warm(LATENCY_QUANTILE)  # the queueing tables, built once here and shared by the forks
    global _SHARED
    _SHARED = contexts
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.starmap(_evaluate_shared, _chunks(len(contexts), workers))
    finally:
        _SHARED = ()
    return tuple(rec for part in parts for rec in part)


def _evaluate_shared(start: int, stop: int) -> tuple[Recommendation, ...]:
    return _evaluate_range(_SHARED, start, stop)


def _evaluate_range(
    contexts: Sequence[ServiceContext], start: int, stop: int
) -> tuple[Recommendation, ...]:
    """rules.recommend_many over [start, stop) in batches of BATCH services (the SLA engine's
    per-hour work is batched within each; a batch bounds its matrices to tens of MB)."""
    recs: list[Recommendation] = []
    for first in range(start, stop, BATCH):
        batch = contexts[first : min(first + BATCH, stop)]
        for results in rules.recommend_many(batch):
            recs.extend(results)
    return tuple(recs)


def _chunks(count: int, workers: int) -> list[tuple[int, int]]:
    pieces = min(count, workers * CHUNKS_PER_WORKER)
    edges = [round(i * count / pieces) for i in range(pieces + 1)]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()
