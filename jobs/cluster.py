"""The Dask cluster recompute runs on: a scheduler's address, or a local cluster of processes."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Generator, Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import make_url

from data.settings import Settings
from jobs import fleet_eval
from jobs.errors import ClusterUnusable, WorkerFailed
from jobs.gc_pause import cyclic_gc_paused

if TYPE_CHECKING:  # imported when first used: `import distributed` costs 1-2 s of CPU
    from distributed import Client, LocalCluster

log = logging.getLogger(__name__)

# Services per task: ~0.5 s of engine work at 90 days, so the scheduler's ~10 ms per task
# stays a few per cent, and one task's usage (256 × 2,160 hours × 6 metrics) is ~27 MB.
CLUSTER_BATCH = 256
# A task that raises is run again this often; a task whose worker dies is rescheduled by
# the scheduler itself (distributed.scheduler.allowed-failures, 3 by default).
TASK_RETRIES = 2
MMAP_THRESHOLD_BYTES = 32 * 2**20
TRIM_THRESHOLD_BYTES = 256 * 2**20
_QUIET_WORKERS = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    # The active memory manager drops all but one copy of data no queued task waits for: the
    # catalog broadcast to every worker could end on one, and lost with it (a killed worker)
    # it cancels every batch still to run. A local cluster keeps every copy.
    "distributed.scheduler.active-memory-manager.start": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
    # Dask's default 64 KiB trim threshold also turns off glibc's adaptive mmap threshold, so
    # every numpy array over 128 KiB is mmapped and page-faulted afresh on each batch. The
    # adaptive threshold still left ~30 page faults per service (a batch's matrices freed
    # to the kernel and faulted in again by the next): arrays up to 32 MiB (glibc's cap) come
    # from the heap, and up to 256 MiB of freed heap is kept for the next batch (decision 029).
    "distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_": MMAP_THRESHOLD_BYTES,
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": TRIM_THRESHOLD_BYTES,
}


class FleetCluster:
    """A Dask client, connected on first use and closed by `close` (or `with`).

    With `settings.cluster_address` it joins that scheduler; otherwise it starts a
    LocalCluster of `workers` single-threaded worker processes (the engine is numpy: a thread
    per process would fight for the GIL). The sidecar keeps one for its lifetime, since a
    local cluster costs seconds to start (decision 030); the CLI keeps one for its run.
    """

    def __init__(
        self, settings: Settings, *, workers: int, batch_services: int = CLUSTER_BATCH
    ) -> None:
        # batch_services: services per task, and the fleet size above which recompute uses
        # the cluster at all (below it, starting and feeding a cluster costs more than it saves).
        self.settings, self.workers, self.batch_services = settings, workers, batch_services
        self._client: Client | None = None
        self._local: LocalCluster | None = None

    def client(self) -> Client:
        """The connected client, starting the local cluster the first time."""
        if self._client is None:
            from distributed import Client

            address = self.settings.cluster_address
            if address is None:
                self._local = local_cluster(self.workers)
                # Results straight from the worker that holds them, not relayed through the
                # scheduler (its own process here): one read of each batch in this process
                # instead of two and a write. A remote scheduler's workers may not be
                # reachable from here: Dask's default (through the scheduler) stays for them.
                self._client = Client(self._local, direct_to_workers=True)
            else:
                self._client = Client(address)
            self._client.run(fleet_eval.warm_worker)  # a worker restarted later warms lazily
            log.info("recompute cluster: %s", self._client.scheduler_info()["address"])
        return self._client

    def close(self) -> None:
        """Close the client, then the local cluster's workers and scheduler (if started)."""
        if self._client is not None:
            self._client.close()
        if self._local is not None:
            self._local.close()
        self._client = self._local = None

    def __enter__(self) -> FleetCluster:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


Work = TypeVar("Work")
Result = TypeVar("Result")


class Whole(Generic[Result]):
    """A task's result travelling as one pickle.

    Why: a Dask worker sends a task's result marked `to_serialize`, which pickles a tuple or
    list element by element: a batch's 1,280 recommendations went as 1,280 pickles, each with
    its own header and frame, its classes looked up again, and none sharing a sub-object (the
    profile, a window, a config) with another; the client unpickled ~50,000 of them at 10,000
    services (decision 029, session 10). Wrapped, the batch is one pickle.
    """

    __slots__ = ("value",)

    def __init__(self, value: Result) -> None:
        self.value = value

    def __reduce__(self) -> tuple[type[Whole[Result]], tuple[Result]]:
        return Whole, (self.value,)

    def __sizeof__(self) -> int:
        # What a worker's memory accounting (spilling, reports) sees: the value's size as
        # Dask measures it, as if it were not wrapped. Imported here: only workers ask.
        from dask.sizeof import sizeof

        return int(sizeof(self.value))


def _run_whole(task: Callable[..., Result], *args: Any) -> Whole[Result]:
    return Whole(task(*args))


def submit_whole(client: Client, task: Callable[..., Any], *args: Any, **options: Any) -> Any:
    """`client.submit(task, *args, pure=False, **options)` whose result comes back as one pickle
    (`Whole`); `in_order` unwraps it. The key keeps the task's name, as Dask would have it."""
    from dask.utils import funcname

    key = f"{funcname(task)}-{uuid.uuid4().hex}"
    return client.submit(_run_whole, task, *args, key=key, pure=False, **options)


def gather_batches(
    cluster: FleetCluster,
    task: Callable[[Work, Any], Result],
    work: Sequence[Work],
    shared: object,
    *,
    what: str,
) -> list[Result]:
    """`task(batch, shared)` for every batch on the cluster, results in batch order.

    `shared` (e.g. the catalog) goes to each worker once, not once per task. A batch still
    failing after its retries raises WorkerFailed, every task cancelled, before the caller
    writes anything.
    """
    return list(stream_batches(cluster, task, work, shared, what=what))


def stream_batches(
    cluster: FleetCluster,
    task: Callable[[Work, Any], Result],
    work: Iterable[Work],
    shared: object,
    *,
    what: str,
) -> Generator[Result, None, None]:
    """As `gather_batches`, but each batch is submitted as soon as `work` yields it (a lazy
    `work` that reads the fleet chunk by chunk has the workers start on its first batches
    while it reads on), all of them before this returns; the returned iterator yields the
    results in batch order as they arrive, so the caller can write batch k while later ones
    run, and holds no finished batch past its turn. WorkerFailed (every task cancelled) is
    raised by the iterator, when the failed batch's turn comes or earlier."""
    check_shared_database(cluster.settings.database_url)
    client = cluster.client()
    [scattered] = client.scatter([shared], broadcast=True)
    futures: list[Any] = []
    try:
        # extend appends each future as it is made: a failed read still cancels those made
        futures.extend(
            submit_whole(client, task, batch, scattered, retries=TASK_RETRIES) for batch in work
        )
    except BaseException:
        if futures:  # reading the rest failed: nothing will take these results
            client.cancel(futures)
        raise
    return in_order(client, futures, what=what)


def in_order(client: Client, futures: list[Any], *, what: str) -> Generator[Result, None, None]:
    """The results of `submit_whole`'s futures in their order; one finished early waits for its
    turn. However the iteration ends short (a failed batch, or the caller closing it), the
    batches not yet yielded are cancelled."""
    from distributed import as_completed

    position = {future.key: index for index, future in enumerate(futures)}
    waiting: dict[int, Result] = {}
    turn = 0
    # The client unpickles ~5 results per service; over half that CPU was the cyclic GC
    # rescanning the parent's heap (decision 029, session 8).
    try:
        with cyclic_gc_paused():
            for future, result in as_completed(futures, with_results=True):
                if future.status != "finished":  # as_completed raises only errors: it yields a
                    # cancelled or lost batch with its CancelledError as if that were the result
                    raise WorkerFailed(
                        f"{what} batch {position[future.key]} was {future.status} on the "
                        f"cluster: {result!r}"
                    )
                waiting[position[future.key]] = result.value
                while turn in waiting:
                    futures[turn] = None  # the worker may forget it: nothing refers to it now
                    yield waiting.pop(turn)
                    turn += 1
    except WorkerFailed:
        raise
    except Exception as error:
        raise WorkerFailed(f"{what} batch failed on the cluster: {error!r}") from error
    finally:
        if left := [future for future in futures if future is not None]:
            client.cancel(left)


def cluster_for(settings: Settings, workers: int) -> FleetCluster | None:
    """A (not yet started) cluster when one is configured or more than one worker is asked
    for; None when recompute runs in-process."""
    if settings.cluster_address is None and workers <= 1:
        return None
    return FleetCluster(settings, workers=workers)


def check_shared_database(database_url: str) -> None:
    """Raise ClusterUnusable when cluster workers cannot open the parent's database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return
    database = url.database or ""
    if database in ("", ":memory:") or url.query.get("mode") == "memory":
        raise ClusterUnusable(
            "an in-memory SQLite database cannot be read by cluster workers (each process "
            "would open its own, empty one): use a SQLite file or PostgreSQL, or one worker"
        )


def local_cluster(workers: int) -> LocalCluster:
    """A LocalCluster of `workers` single-threaded processes without the background work below."""
    # Background work recompute never reads, paid in CPU for every second a worker lives: the
    # statistical profiler (every thread, 100 times a second), the event-loop watchdog
    # (every 20 ms), the system monitor's psutil readings (every 0.5 s) and the memory
    # monitor's (every 0.1 s).
    import dask

    with dask.config.set(_QUIET_WORKERS):
        return _start_local(workers)


def _start_local(workers: int) -> LocalCluster:
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=max(workers, 1),
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.WARNING,
    )
