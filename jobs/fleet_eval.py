"""The fleet's rules across worker processes: the engine is pure, so services split freely."""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
from collections.abc import Sequence
from dataclasses import dataclass

from engine import rules
from engine.context import ServiceContext
from engine.errors import EngineError
from engine.recommendation import Recommendation

log = logging.getLogger(__name__)

CHUNKS_PER_WORKER = 4  # small enough to even out slow services, big enough to amortise pickling
# Set in the parent just before forking: children inherit the contexts copy-on-write instead of
# receiving them pickled (usage windows are most of a recompute's memory).
_SHARED: Sequence[ServiceContext] = ()


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Every rule's result for the services evaluated, and how many the engine could not price."""

    recs: tuple[Recommendation, ...]
    failed_services: int


def default_workers() -> int:
    """One worker per CPU this process may use (at least 1)."""
    return max(len(os.sched_getaffinity(0)), 1)


def evaluate(contexts: Sequence[ServiceContext], *, workers: int = 1) -> Evaluation:
    """rules.recommend for every context, in order; a service the engine cannot price is
    skipped and counted. workers > 1 forks that many processes (POSIX) and splits the
    services in contiguous chunks; the results are the same values in the same order."""
    if workers <= 1 or len(contexts) < 2 * workers or not _can_fork():
        return _evaluate_range(contexts, 0, len(contexts))
    global _SHARED
    _SHARED = contexts
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.starmap(_evaluate_shared, _chunks(len(contexts), workers))
    finally:
        _SHARED = ()
    recs = tuple(rec for part in parts for rec in part.recs)
    return Evaluation(recs, sum(part.failed_services for part in parts))


def _evaluate_shared(start: int, stop: int) -> Evaluation:
    return _evaluate_range(_SHARED, start, stop)


def _evaluate_range(contexts: Sequence[ServiceContext], start: int, stop: int) -> Evaluation:
    recs: list[Recommendation] = []
    failed = 0
    for ctx in contexts[start:stop]:
        try:
            recs.extend(rules.recommend(ctx))
        except EngineError as error:
            # Its slots stay unevaluated, so its open recommendations are kept as they are.
            log.warning("recompute skipped service %s: %s", ctx.service.slug, error)
            failed += 1
    return Evaluation(tuple(recs), failed)


def _chunks(count: int, workers: int) -> list[tuple[int, int]]:
    pieces = min(count, workers * CHUNKS_PER_WORKER)
    edges = [round(i * count / pieces) for i in range(pieces + 1)]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()
