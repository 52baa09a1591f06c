"""jobs.cluster.stream_batches on a real local Dask cluster: batch order, failures."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from dask.sizeof import sizeof
from distributed import LocalCluster, Queue

from data.settings import Settings
from jobs.cluster import FleetCluster, Whole, in_order, stream_batches, submit_whole
from jobs.errors import WorkerFailed
from tests.support.dask_cluster import three_workers

ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # a file


@pytest.fixture(scope="module")
def local_cluster() -> Iterator[LocalCluster]:
    with three_workers() as cluster:
        yield cluster


@pytest.fixture
def cluster(settings: Settings, local_cluster: LocalCluster) -> Iterator[FleetCluster]:
    joined = settings.model_copy(update={"cluster_address": local_cluster.scheduler_address})
    with FleetCluster(joined, workers=1) as fleet_cluster:
        yield fleet_cluster


def last_to_finish(work: tuple[int, str], shared: str) -> str:
    """On a worker: batch 0 returns only after every other batch has said it is done."""
    index, queue_name = work
    done = Queue(queue_name)
    if index == 0:
        for _ in range(2):  # the two other batches' notes
            done.get(timeout=120)
    else:
        done.put(index)
    return f"{shared}{index}"


def fails_second(work: int, shared: str) -> str:
    if work == 1:
        raise ValueError("batch 1 cannot be evaluated")
    return f"{shared}{work}"


@ON_SQLITE
def test_results_come_in_batch_order_though_the_first_batch_finishes_last(
    cluster: FleetCluster,
) -> None:
    work = [(index, "stream-order") for index in range(3)]

    results = list(stream_batches(cluster, last_to_finish, work, "batch-", what="a test"))

    assert results == ["batch-0", "batch-1", "batch-2"]


@ON_SQLITE
def test_a_batch_failing_past_its_retries_ends_the_stream_with_worker_failed(
    cluster: FleetCluster,
) -> None:
    got: list[str] = []

    with pytest.raises(WorkerFailed, match="a test batch failed on the cluster: ValueError"):
        got.extend(stream_batches(cluster, fails_second, [0, 1, 2], "batch-", what="a test"))

    assert got in ([], ["batch-0"])  # never a result past the failed batch


def one_list_twice(work: int, shared: str) -> tuple[list[str], list[str]]:
    """On a worker: a result whose two elements are one object."""
    one = [f"{shared}{work}"]
    return one, one


@ON_SQLITE
def test_a_batchs_result_travels_as_one_pickle(cluster: FleetCluster) -> None:
    # Dask pickles a tuple result element by element (one pickle per recommendation, nothing
    # shared between them): as one pickle, an object the elements share arrives once.
    [(first, second)] = stream_batches(cluster, one_list_twice, [0], "batch-", what="a test")

    assert first == ["batch-0"]
    assert first is second


def test_a_wrapped_result_counts_as_its_value_in_a_workers_memory() -> None:
    value = (b"x" * 1_000_000,)  # Dask samples longer collections: measured anew, they differ

    assert sys.getsizeof(Whole(value)) >= sizeof(value)


def runs_and_says_so(work: tuple[int, str], shared: str) -> str:
    """On a worker: note that this batch has started."""
    index, queue_name = work
    Queue(queue_name).put(index)
    return f"{shared}{index}"


@ON_SQLITE
def test_a_batch_is_submitted_as_the_work_yields_it_not_once_the_work_is_read(
    cluster: FleetCluster,
) -> None:
    def work() -> Iterator[tuple[int, str]]:
        yield 0, "stream-lazy"
        # Batch 0 must run while the rest is still being read (a fleet read chunk by chunk):
        # submitted only after the last batch, it would never start and this would time out.
        assert Queue("stream-lazy").get(timeout=120) == 0
        yield 1, "stream-lazy"

    results = list(stream_batches(cluster, runs_and_says_so, work(), "batch-", what="a test"))

    assert results == ["batch-0", "batch-1"]


@ON_SQLITE
def test_a_work_failing_midway_raises_its_error_before_any_result(cluster: FleetCluster) -> None:
    def work() -> Iterator[int]:
        yield 0
        raise ValueError("the fleet read failed")

    with pytest.raises(ValueError, match="the fleet read failed"):
        stream_batches(cluster, fails_second, work(), "batch-", what="a test")


def waits_for_its_note(work: tuple[int, str], shared: str) -> str:
    """On a worker: block until the test posts a note (a batch the test cancels meanwhile)."""
    index, queue_name = work
    Queue(queue_name).get(timeout=120)
    return f"{shared}{index}"


@ON_SQLITE
def test_a_batch_cancelled_on_the_cluster_ends_the_stream_with_worker_failed(
    cluster: FleetCluster,
) -> None:
    # Dask's as_completed raises only a batch that erred: a cancelled one (e.g. its scattered
    # input lost with a worker) came back with its CancelledError in place of the result.
    client = cluster.client()
    futures = [
        submit_whole(client, waits_for_its_note, (index, "stream-cancel"), "batch-")
        for index in range(2)
    ]
    client.cancel([futures[1]])
    for _ in futures:  # a cancelled batch already running goes on, and may take a note
        Queue("stream-cancel").put("go")  # batch 0 may finish: never yielded past batch 1
    got: list[str] = []

    with pytest.raises(WorkerFailed, match="a test batch 1 was cancelled on the cluster"):
        got.extend(in_order(client, futures, what="a test"))

    assert got in ([], ["batch-0"])
    assert futures[0] is None or futures[0].status in ("finished", "cancelled")
