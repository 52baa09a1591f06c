"""The fleet's rules across worker processes: the engine is pure, so services split freely."""

from __future__ import annotations

import multiprocessing
import os
import queue
import traceback
from collections.abc import Sequence
from multiprocessing.context import ForkContext, ForkProcess
from typing import Any

from engine import rules
from engine.context import ServiceContext
from engine.queueing_table import warm
from engine.recommendation import Recommendation
from engine.sla.latency import LATENCY_QUANTILE
from jobs.errors import WorkerFailed

BATCH = 64  # services judged together: ~40 candidate rows × 336 hours each
Results = dict[int, tuple[Recommendation, ...]]


def default_workers() -> int:
    """One worker per CPU this process may use (at least 1)."""
    return max(len(os.sched_getaffinity(0)), 1)


def evaluate(contexts: Sequence[ServiceContext], *, workers: int = 1) -> tuple[Recommendation, ...]:
    """rules.recommend for every context as offered (rules.offer), flattened in order.

    workers > 1 forks workers − 1 processes (POSIX) and the parent works too: each claims the
    next batch of BATCH services from a shared counter until none is left, so a slow batch
    never idles a core and the parent unpickles other workers' results between its own
    batches. The same values, in the same order. (recommend never raises for one service: a
    rule the engine cannot run is that rule's "not_applicable" value.)"""
    batches = [(a, min(a + BATCH, len(contexts))) for a in range(0, len(contexts), BATCH)]
    if workers <= 1 or len(batches) < 2 or not _can_fork():
        return _flatten({i: _evaluate_range(contexts, *b) for i, b in enumerate(batches)})
    warm(LATENCY_QUANTILE)  # the queueing tables, built once here and shared by the forks
    fork = multiprocessing.get_context("fork")
    pool = _Pool(fork, contexts, batches)
    # Fork-inherited arguments: the usage windows are shared copy-on-write, never pickled.
    procs = [fork.Process(target=pool.work, daemon=True) for _ in range(min(workers, 8) - 1)]
    for proc in procs:
        proc.start()
    try:
        return _flatten(pool.gather(procs))
    finally:
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()


class _Pool:
    """Batches claimed from one shared counter by the parent and its forks."""

    def __init__(
        self,
        fork: ForkContext,
        contexts: Sequence[ServiceContext],
        batches: list[tuple[int, int]],
    ) -> None:
        self.contexts, self.batches = contexts, batches
        self.claimed: Any = fork.Value("q", 0)
        self.results: Any = fork.Queue()

    def claim(self) -> int | None:
        with self.claimed.get_lock():
            index = int(self.claimed.value)
            self.claimed.value = index + 1
        return index if index < len(self.batches) else None

    def work(self) -> None:
        """A forked worker: run batches until none is left, sending each result back."""
        try:
            while (index := self.claim()) is not None:
                self.results.put((index, _evaluate_range(self.contexts, *self.batches[index])))
        except BaseException:
            self.results.put((-1, traceback.format_exc()))
        self.results.close()
        self.results.join_thread()

    def gather(self, procs: list[ForkProcess]) -> Results:
        """The parent's share of the work, then every worker's results."""
        done: Results = {}
        while (index := self.claim()) is not None:
            done[index] = _evaluate_range(self.contexts, *self.batches[index])
            self._drain(done)  # unpickle what has arrived between our own batches
        while len(done) < len(self.batches):
            _take(done, self._next(procs))
            self._drain(done)
        return done

    def _drain(self, done: Results) -> None:
        """Take every result that has arrived, without waiting."""
        while True:
            try:
                _take(done, self.results.get_nowait())
            except queue.Empty:
                return

    def _next(self, procs: list[ForkProcess]) -> tuple[int, Any]:
        """Wait for the next result; fail when no worker is left to send one."""
        while True:
            try:
                return self.results.get(timeout=1.0)  # type: ignore[no-any-return]
            except queue.Empty:
                if not any(p.is_alive() for p in procs) and self.results.empty():
                    raise WorkerFailed(
                        "recompute workers exited before sending every batch"
                    ) from None


def _take(done: Results, item: tuple[int, Any]) -> None:
    index, result = item
    if index < 0:  # a worker's traceback
        raise WorkerFailed(f"a recompute worker failed:\n{result}")
    done[index] = result


def _evaluate_range(
    contexts: Sequence[ServiceContext], start: int, stop: int
) -> tuple[Recommendation, ...]:
    """rules.recommend_many over [start, stop) (the SLA engine's per-hour work is batched
    within it; BATCH services bound its matrices to tens of MB), each service's results as
    offered (rules.offer: SLA verdict kept, one config proposed once)."""
    batch = rules.recommend_many(contexts[start:stop])
    return tuple(rec for results in batch for rec in rules.offer(results))


def _flatten(done: Results) -> tuple[Recommendation, ...]:
    return tuple(rec for index in sorted(done) for rec in done[index])


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()
