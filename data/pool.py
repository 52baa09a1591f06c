"""A shared worker pool for CPU-heavy edge work (simulation, SLA replay): off the server's GIL.

Streamlit runs every session's script in a thread of one process, and the API runs its sync
routes in threads of one process, so numpy-heavy work in either holds the interpreter for every
other caller. An edge instead hands a pure function and pure inputs (arrays, frozen dataclasses)
to `Runner.run`: the call runs in one of the pool's processes and the caller's thread waits on a
lock (the GIL is free for everyone else). A worker that dies takes the executor down with it
(BrokenProcessPool): the pool is rebuilt and the call raises WorkerLost.

The dashboard holds one pool per server (dashboard/pool.py), the API one per app (api/deps.py).
The seam for a distributed engine (decision 032): callers see `Runner` only.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
import types
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import ParamSpec, Protocol, TypeVar

from data.errors import WorkerLost

P = ParamSpec("P")
R = TypeVar("R")
log = logging.getLogger(__name__)
# Imported once by the fork server, so a new worker starts with numpy and the engine loaded.
PRELOAD = ("numpy", "pandas", "engine.simulation", "engine.sla")


class Runner(Protocol):
    """Runs `fn(*args, **kwargs)` somewhere else and returns its value (or raises its error)."""

    def run(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R: ...

    def shutdown(self) -> None: ...


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, not the machine's count)."""
    return len(os.sched_getaffinity(0))


class ProcessRunner:
    """A ProcessPoolExecutor on a fork server, rebuilt when a worker dies.

    `warm`: start every worker now, in the background, so the first run does not pay for them;
    without it a worker starts at the first call that needs one (an API app that never
    simulates never starts any)."""

    def __init__(self, workers: int, *, warm: bool = True) -> None:
        self.workers = workers
        self.warm = warm
        self._context = multiprocessing.get_context("forkserver")
        # Why forkserver: fork from a threaded server copies its locks mid-use; spawn re-imports
        # everything per worker. The fork server is a clean single-threaded parent.
        self._context.set_forkserver_preload(list(PRELOAD))
        self._lock = threading.Lock()
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        """An executor (its workers started now in the background when `warm`)."""
        executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=self._context)
        if self.warm:
            with _neutral_main():
                for _ in range(self.workers):
                    executor.submit(os.getpid)
        return executor

    def run(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """`fn(*args, **kwargs)` in a worker; its own exception is re-raised here as is.
        WorkerLost when the worker died (the pool is rebuilt for the next call)."""
        executor = self._executor
        try:
            with _neutral_main():
                future: Future[R] = executor.submit(fn, *args, **kwargs)
            return future.result()
        except BrokenProcessPool as error:
            self._rebuild(executor)
            raise WorkerLost(
                f"a pool worker stopped while running {fn.__name__}: retry "
                "(the pool has been restarted)"
            ) from error

    def _rebuild(self, broken: ProcessPoolExecutor) -> None:
        """A new executor in place of `broken`, once, whichever caller saw it break first."""
        with self._lock:
            if self._executor is broken:
                log.warning("worker pool broken: restarting %d workers", self.workers)
                broken.shutdown(wait=False, cancel_futures=True)
                self._executor = self._new_executor()

    def shutdown(self) -> None:
        """Stop the workers (pending calls are cancelled)."""
        self._executor.shutdown(wait=True, cancel_futures=True)


_MAIN_SWAP = threading.Lock()


@contextmanager
def _neutral_main() -> Iterator[None]:
    """While a submit may start a worker: a `__main__` with no file and no spec.

    Why: Streamlit installs each run's page script as `sys.modules["__main__"]`, and a new
    forkserver/spawn worker re-imports the parent's main module, which would run the page
    (st.* calls with no server) and kill the worker. The executor starts workers on demand
    inside `submit`, so every submit runs with a main the worker need not import.
    """
    with _MAIN_SWAP:
        page_main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = page_main
