"""A real Prometheus holding the generated cluster's history (tests/support/kube_history)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.block_cache import cached_backfill
from tests.support.kube_history import ClusterHistory, generate
from tests.support.kube_openmetrics import write_openmetrics
from tests.support.prometheus import backfill, binaries, prometheus_server

KUBE_HISTORY_DAYS = 3


@dataclass(frozen=True)
class KubePrometheus:
    url: str
    history: ClusterHistory


@contextmanager
def kube_prometheus_server(
    base: Path, *, days: int = KUBE_HISTORY_DAYS, cache_root: Path | None = None
) -> Iterator[KubePrometheus]:
    """`days` of the generated cluster (3 days: ~530 MB of OpenMetrics, deleted once
    backfilled; with `cache_root`, backfilled once there and copied); skips locally (fails in
    CI) without the binaries."""
    prometheus, promtool = binaries()
    history = generate(days)
    started = time.perf_counter()
    if cache_root is None:
        backfill(promtool, write_openmetrics(history, base / "openmetrics"), base / "tsdb")
        shutil.rmtree(base / "openmetrics")
    else:
        cached_backfill(promtool, base / "tsdb", cache_root, write_openmetrics, history=history)
    print(f"kube history written and backfilled in {time.perf_counter() - started:.1f} s")
    with prometheus_server(prometheus, base / "tsdb") as url:
        yield KubePrometheus(url, history)
