"""A real Prometheus holding 14 days of generated history, started once per session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.prometheus import History, backfill, binaries, prometheus_server
from tests.support.prometheus_history import demo_services, write_openmetrics

HISTORY_END = datetime(2026, 10, 1, tzinfo=UTC)
HISTORY_DAYS = 14


@pytest.fixture(scope="session")
def prometheus_history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    """Debian prometheus on a free loopback port; skips locally (fails in CI) without it."""
    prometheus, promtool = binaries()
    services = demo_services(HISTORY_DAYS * 24)
    base = tmp_path_factory.mktemp("prometheus")
    start = HISTORY_END - timedelta(days=HISTORY_DAYS)
    files = write_openmetrics(services, start=start, out_dir=base / "openmetrics")
    backfill(promtool, files, base / "tsdb")
    with prometheus_server(prometheus, base / "tsdb") as url:
        yield History(url, services, HISTORY_END, HISTORY_DAYS)
