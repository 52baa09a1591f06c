"""jobs.cluster's local cluster: the allocator its workers start with, how results come back,
and the start-up heap each worker keeps out of the cyclic GC."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator

import pytest
from distributed import Client

from data.settings import Settings
from jobs.cluster import MMAP_THRESHOLD_BYTES, TRIM_THRESHOLD_BYTES, FleetCluster, local_cluster


@pytest.fixture(scope="module")
def local_fleet_cluster() -> Iterator[FleetCluster]:
    # No database is opened: FleetCluster reads only whether a scheduler address is set.
    settings = Settings(database_url="sqlite:///unused.db", _env_file=None)
    with FleetCluster(settings, workers=1) as cluster:
        yield cluster


def _allocator_environ() -> tuple[str | None, str | None]:
    return os.environ.get("MALLOC_MMAP_THRESHOLD_"), os.environ.get("MALLOC_TRIM_THRESHOLD_")


def test_local_workers_start_with_the_heap_kept_for_the_next_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # glibc reads these once, when a process starts: the worker's environment at its start is
    # what its allocator was given. Dask's nanny (in the parent, for a LocalCluster) writes
    # them into the parent's environment before spawning, and a value already there wins over
    # its config: an earlier cluster in this test process (Dask's defaults) would decide.
    # monkeypatch starts without them and puts the parent's environment back afterwards.
    for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"):
        monkeypatch.delenv(name, raising=False)
    with local_cluster(1) as cluster, Client(cluster) as client:
        seen = list(client.run(_allocator_environ).values())

    assert seen == [(str(MMAP_THRESHOLD_BYTES), str(TRIM_THRESHOLD_BYTES))]


def test_a_local_cluster_hands_results_over_from_its_workers_directly(
    local_fleet_cluster: FleetCluster,
) -> None:
    client = local_fleet_cluster.client()

    assert client.direct_to_workers is True


def test_connecting_freezes_each_workers_start_up_heap(local_fleet_cluster: FleetCluster) -> None:
    client = local_fleet_cluster.client()  # runs fleet_eval.warm_worker on every worker

    frozen = list(client.run(gc.get_freeze_count).values())

    assert len(frozen) == 1
    assert frozen[0] > 10_000  # modules, the queueing tables, Dask's worker
