"""A real local Dask cluster for tests: three worker processes, a batch held in its usage read
(a PostgreSQL table lock), and the pid of a worker running one, to kill it mid-batch."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psutil
from distributed import Client, LocalCluster
from sqlalchemy import Engine, text

from data.repos.usage import USAGE_TABLE


@contextmanager
def three_workers() -> Iterator[LocalCluster]:
    """Three single-threaded worker processes, each under a nanny that restarts it."""
    with LocalCluster(
        n_workers=3, threads_per_worker=1, dashboard_address=None, silence_logs=40
    ) as cluster:
        yield cluster


class Background:
    """A call on a thread whose result (or exception) `join` returns (or raises)."""

    def __init__(self, call: object) -> None:
        self._call, self._out, self._error = call, None, None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._out = self._call()  # type: ignore[operator]
        except BaseException as error:
            self._error = error  # type: ignore[assignment]

    def join(self) -> object:
        self._thread.join(timeout=240)
        assert not self._thread.is_alive(), "the recompute did not finish"
        if self._error is not None:
            raise self._error
        return self._out


class UsageLocked:
    """The usage table locked ACCESS EXCLUSIVE by another connection until the block ends."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> None:
        self.connection = self.engine.connect()
        self.transaction = self.connection.begin()
        self.connection.execute(text(f"LOCK TABLE {USAGE_TABLE.name} IN ACCESS EXCLUSIVE MODE"))

    def __exit__(self, *exc: object) -> None:
        self.transaction.commit()
        self.connection.close()


def executing_worker_pid(client: Client) -> int:
    """The pid of a worker running a batch (blocked on the lock), once there is one."""

    seen: list[int] = []

    def busy() -> bool:
        states = client.run(_pid_if_executing)
        seen[:] = [pid for pid in states.values() if pid is not None]
        return bool(seen)

    wait_until(busy, timeout_s=120, what="a worker running a batch")
    return seen[0]


def _pid_if_executing(dask_worker: object) -> int | None:
    executing = dask_worker.state.executing  # type: ignore[attr-defined]
    return os.getpid() if executing else None


def kill(pid: int) -> None:
    process = psutil.Process(pid)
    os.kill(pid, signal.SIGKILL)
    process.wait(timeout=30)


def wait_until(ready: Callable[[], bool], *, timeout_s: float, what: str) -> None:
    """Poll `ready` until it holds; fail naming `what` after timeout_s (never a fixed sleep)."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
