"""jobs.cluster.local_cluster: its worker processes start with the allocator settings it names."""

from __future__ import annotations

import os

import pytest
from distributed import Client

from jobs.cluster import MMAP_THRESHOLD_BYTES, TRIM_THRESHOLD_BYTES, local_cluster


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
