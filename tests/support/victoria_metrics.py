"""A real Debian `victoria-metrics` on a free loopback port, fed the Prometheus tier's history."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.support.postgres import free_port
from tests.support.processes import stop, wait_until_ready
from tests.support.tiers import find_binary, unavailable

CANDIDATES = ("/usr/bin/victoria-metrics",)


class VictoriaMetricsError(RuntimeError):
    """The server exited, never became ready, refused an import or never showed the data."""


def binary() -> Path:
    """The server binary; skips (fails under CI=true) when the Debian package is missing."""
    found = find_binary("victoria-metrics", *CANDIDATES)
    if found is None:
        unavailable("Debian victoria-metrics not installed (apt-get install victoria-metrics)")
    assert found is not None
    return found


@contextmanager
def victoria_metrics_server(
    executable: Path, data_dir: Path, *, timeout_s: float = 60.0
) -> Iterator[str]:
    """Serve a fresh storage on 127.0.0.1:<free port>; yields the base URL.

    -retentionPeriod: the default (1 month, counted from the wall clock) would drop backfilled
    history on import. -search.disableCache: the rollup cache assumes samples arrive in time
    order, which a backfill breaks (VictoriaMetrics' own advice when backfilling).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = data_dir.parent / "victoria-metrics.log"
    command = [
        str(executable),
        f"-storageDataPath={data_dir}",
        f"-httpListenAddr=127.0.0.1:{port}",
        "-retentionPeriod=100y",
        "-search.disableCache",
        "-loggerLevel=WARN",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_ready(
                process, f"{url}/health", ready=lambda response: response.status == 200,
                name="victoria-metrics", timeout_s=timeout_s, log_path=log_path,
                error=VictoriaMetricsError,
            )  # fmt: skip
            yield url
        finally:
            stop(process)


def import_openmetrics(url: str, files: Sequence[Path], *, timeout_s: float = 120.0) -> int:
    """POST the OpenMetrics files (timestamps in seconds) as Prometheus text (milliseconds) to
    /api/v1/import/prometheus, flush, and wait until every series answers; returns their count."""
    series: set[str] = set()
    last_s = 0
    for path in files:
        body, keys, newest = _prometheus_text(path)
        series |= keys
        last_s = max(last_s, newest)
        _post(f"{url}/api/v1/import/prometheus", body)
    _get(f"{url}/internal/force_flush")
    _wait_for_series(url, len(series), at_s=last_s, timeout_s=timeout_s)
    return len(series)


def _prometheus_text(path: Path) -> tuple[bytes, set[str], int]:
    """Sample lines with second timestamps → millisecond ones; the distinct series; the newest
    timestamp. Series keys end before the value: label values may hold spaces."""
    out, keys, newest = [], set(), 0
    for line in path.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        key, value, stamp = line.rsplit(" ", 2)
        keys.add(key)
        newest = max(newest, int(stamp))
        out.append(f"{key} {value} {stamp}000\n")
    return "".join(out).encode(), keys, newest


def _wait_for_series(url: str, expected: int, *, at_s: int, timeout_s: float) -> None:
    query = urllib.parse.urlencode({"query": 'count({__name__=~".+"})', "time": str(at_s)})
    deadline = time.monotonic() + timeout_s
    seen = None
    while time.monotonic() < deadline:
        result = json.loads(_get(f"{url}/api/v1/query?{query}"))["data"]["result"]
        seen = int(float(result[0]["value"][1])) if result else 0
        if seen == expected:
            return
        time.sleep(0.2)
    raise VictoriaMetricsError(f"{seen} of {expected} series queryable after {timeout_s:.0f} s")


def _post(url: str, body: bytes) -> None:
    request = urllib.request.Request(url, data=body, method="POST")
    with urllib.request.urlopen(request, timeout=120) as response:
        if response.status not in (200, 204):
            raise VictoriaMetricsError(f"import answered {response.status}")


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        body: bytes = response.read()
        return body
