"""Benchmark: collect 14 days of hourly usage for 200 services from a backfilled Prometheus.

Usage: python bench/bench_prometheus_collect.py [--services N] [--days D] [--rebuild]

Two paths over the same services, batches and selectors, in one process:
- pushdown: `collect_usage` (aggregation in PromQL; hourly points come back, rows stored);
- raw: pull every raw series (`metric{...}[14d]`, 5-minute samples) and compute the same
  hourly numbers in numpy (nothing stored).
Prints wall time, HTTP requests, bytes received (decoded JSON; Prometheus gzips on the wire)
and Prometheus's own CPU seconds for each, the ratios, and the largest disagreement between
the two paths' numbers. The backfilled TSDB is cached under /tmp (keyed by generator source
and size; the first build of 200 x 14 days takes ~2 min); --rebuild forces a new one.

Measured 2026-11-26 (2 shared cores, other work running), 200 services x 14 days:
pushdown 10.4 s, 80 requests, 16.2 MB, Prometheus CPU 3.5 s; raw 64.6 s, 72 requests,
386.5 MB, Prometheus CPU 29.0 s -> raw/pushdown wall x6.2, bytes x24, server CPU x8.3;
the two paths' hourly numbers agree to 3e-13.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

# Run directly: put the repository root on the import path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data.connectors.prometheus import PrometheusClient, TelemetryMapping, collect_usage
from data.connectors.prometheus.client import Series
from data.connectors.prometheus.promql import Batch
from data.connectors.prometheus.selectors import eq
from data.db import make_engine, make_sessions
from data.migrate import upgrade
from data.repos.services import NewService, add_services
from data.repos.usage import load_usage
from data.settings import Settings
from engine.service import Sla
from tests.support import prometheus_history as history
from tests.support.prometheus import backfill, binaries, prometheus_server

END = datetime(2026, 10, 1, tzinfo=UTC)
NOW = END + timedelta(minutes=15)
BATCH = 50
RAW_METRICS = (
    "container_cpu_usage_seconds_total",
    "container_memory_working_set_bytes",
    "kube_pod_container_resource_requests",
    "kube_pod_container_resource_limits",
    "container_cpu_cfs_throttled_periods_total",
    "container_cpu_cfs_periods_total",
    "kube_pod_container_status_last_terminated_reason",
    "http_requests_total",
    "http_request_duration_seconds_bucket",
)
Hourly = dict[str, dict[tuple[str, str], np.ndarray]]


@dataclass(frozen=True)
class Cost:
    wall_s: float
    requests: int
    bytes_received: int
    server_cpu_s: float


def main() -> None:
    args = _arguments()
    hours = args.days * 24
    services = history.demo_services(hours, count=args.services, special=False)
    prometheus, promtool = binaries_or_exit()
    tsdb = _tsdb(services, args.days, promtool, rebuild=args.rebuild)
    with prometheus_server(prometheus, tsdb, timeout_s=300) as url:
        mappings = [TelemetryMapping.parse(s.mapping()) for s in services]
        _measure(url, lambda c: _pushdown(c, services, hours))  # warm-up: page cache, blocks
        pushed, stored = _measure(url, lambda c: _pushdown(c, services, hours))
        raw_cost, raw = _measure(url, lambda c: _raw(c, mappings, hours))
    _print(args, pushed, raw_cost, _disagreement(stored, raw))


def binaries_or_exit() -> tuple[Path, Path]:
    try:
        return binaries()
    except BaseException:  # pytest's skip outside pytest
        sys.exit("prometheus/promtool not installed: apt-get install prometheus")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--rebuild", action="store_true")
    return parser.parse_args()


def _tsdb(services: list[history.Service], days: int, promtool: Path, *, rebuild: bool) -> Path:
    """A cached TSDB for these services; built with promtool when missing."""
    source = Path(history.__file__).read_bytes()
    key = hashlib.sha256(source + f"{len(services)}:{days}:{END}".encode()).hexdigest()[:12]
    base = Path(tempfile.gettempdir()) / f"tightrope-bench-prometheus-{key}"
    if rebuild:
        shutil.rmtree(base, ignore_errors=True)
    if (base / "tsdb" / ".complete").exists():
        return base / "tsdb"
    shutil.rmtree(base, ignore_errors=True)
    started = time.perf_counter()
    files = history.write_openmetrics(
        services, start=END - timedelta(days=days), out_dir=base / "openmetrics"
    )
    written = time.perf_counter()
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    backfill(promtool, files, base / "tsdb")
    shutil.rmtree(base / "openmetrics")
    (base / "tsdb" / ".complete").touch()
    print(
        f"built TSDB: {size_mb:,.0f} MB OpenMetrics written in {written - started:.1f} s, "
        f"promtool {time.perf_counter() - written:.1f} s -> {base / 'tsdb'}"
    )
    return base / "tsdb"


def _client(url: str) -> PrometheusClient:
    return PrometheusClient.from_url(url, timeout_s=120.0)


def _server_cpu_s(url: str) -> float:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("process_cpu_seconds_total "):
                return float(line.split()[1])
    return float("nan")


def _measure(url: str, run: Callable[[PrometheusClient], Hourly]) -> tuple[Cost, Hourly]:
    client = _client(url)
    cpu_before = _server_cpu_s(url)
    started = time.perf_counter()
    result = run(client)
    wall = time.perf_counter() - started
    cost = Cost(wall, client.stats.requests, client.stats.bytes_received,
                _server_cpu_s(url) - cpu_before)  # fmt: skip
    client.close()
    return cost, result


def _pushdown(client: PrometheusClient, services: list[history.Service], hours: int) -> Hourly:
    workdir = Path(tempfile.mkdtemp(prefix="bench-prom-"))
    engine = make_engine(Settings(database_url=f"sqlite:///{workdir}/t.db", _env_file=None))
    upgrade(engine)
    sessions = make_sessions(engine)
    drafts = [_draft(i, s) for i, s in enumerate(services)]
    with sessions.begin() as session:
        ids = [s.id for s in add_services(session, drafts, now=END)]
    report = collect_usage(sessions, client, now=NOW)
    if report.stale or report.rows_written != hours * len(services):
        sys.exit(f"pushdown collection failed: {report}")
    stored: Hourly = defaultdict(dict)
    with sessions() as session:
        for service_id, service in zip(ids, services, strict=True):
            window = load_usage(session, service_id, start=END - timedelta(hours=hours), end=END)
            key = _key(service)
            stored["cpu"][key] = window.cpu_used_mean_cores
            stored["memory"][key] = window.memory_used_max_gib * history.GIB
            stored["rps"][key] = window.requests_per_s
            stored["latency"][key] = window.latency_p95_ms / 1000.0
    engine.dispose()
    shutil.rmtree(workdir, ignore_errors=True)
    return stored


def _draft(i: int, service: history.Service) -> NewService:
    return NewService(
        slug=f"svc-{i:04d}", name=f"Service {i}", team="bench", owner="bench@example.com",
        environment="prod", platform="kubernetes", provider="gcp", region="europe-west1",
        policy_class="standard",
        sla=Sla(latency_p95_target_ms=250.0, availability_target_pct=99.9, max_error_rate_pct=1.0),
        telemetry_selector=service.mapping(),
    )  # fmt: skip


def _key(service: history.Service) -> tuple[str, str]:
    assert isinstance(service, history.K8sService)
    return service.container, service.namespace


def _raw(client: PrometheusClient, mappings: list[TelemetryMapping], hours: int) -> Hourly:
    """Pull raw 5-minute samples of every metric, batch by batch, and aggregate in numpy."""
    by_namespace: dict[str, list[TelemetryMapping]] = defaultdict(list)
    for mapping in mappings:
        by_namespace[dict(mapping.resource)["namespace"]].append(mapping)
    pulled: dict[str, list[Series]] = defaultdict(list)
    for members in by_namespace.values():
        for i in range(0, len(members), BATCH):
            batch = Batch.of([m.resource for m in members[i : i + BATCH]])
            for metric in RAW_METRICS:
                extra = [eq("reason", "OOMKilled")] if "terminated_reason" in metric else []
                result = client.query(f"{batch.sel(metric, *extra)}[{hours}h]", at=END)
                pulled[metric].extend(result.series)
    return _aggregate(pulled, hours)


def _aggregate(pulled: dict[str, list[Series]], hours: int) -> Hourly:
    """The hourly numbers collect_usage stores, computed client-side from raw samples."""
    first_hour = int(END.timestamp()) // 3600 - hours
    out: Hourly = defaultdict(dict)

    def add(name: str, key: tuple[str, str], hourly: np.ndarray) -> None:
        out[name][key] = out[name].get(key, np.zeros(hours)) + hourly

    buckets: dict[tuple[str, str], dict[float, np.ndarray]] = defaultdict(dict)
    for one in pulled["container_cpu_usage_seconds_total"]:
        add("cpu", _labels_key(one), _hourly_rate(one, first_hour, hours))
    for one in pulled["container_memory_working_set_bytes"]:
        add("memory", _labels_key(one), _hourly_max(one, first_hour, hours))
    for one in pulled["http_requests_total"]:
        add("rps", _labels_key(one), _hourly_rate(one, first_hour, hours))
    for one in pulled["http_request_duration_seconds_bucket"]:
        le = float(one.labels["le"])
        per_le = buckets[_labels_key(one)]
        per_le[le] = per_le.get(le, np.zeros(hours)) + _hourly_rate(one, first_hour, hours)
    for key, per_le in buckets.items():
        bounds = sorted(per_le)
        cumulative = np.vstack([per_le[b] for b in bounds]).T  # (hours, buckets)
        out["latency"][key] = np.array(
            [history.histogram_quantile(0.95, row, bounds) for row in cumulative]
        )
    return out


def _labels_key(one: Series) -> tuple[str, str]:
    return one.labels["container"], one.labels["namespace"]


def _hour_slices(one: Series, first_hour: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    hour = (one.timestamps // 3600).astype(np.int64) - first_hour
    starts = np.r_[0, np.flatnonzero(np.diff(hour)) + 1]
    ends = np.r_[starts[1:], len(hour)] - 1
    return hour[starts], starts, ends


def _hourly_rate(one: Series, first_hour: int, hours: int) -> np.ndarray:
    index, starts, ends = _hour_slices(one, first_hour)
    span = one.timestamps[ends] - one.timestamps[starts]
    out = np.zeros(hours)
    keep = (index >= 0) & (index < hours) & (span > 0)
    rate = (one.values[ends] - one.values[starts]) / np.where(span > 0, span, 1.0)
    out[index[keep]] = rate[keep]
    return out


def _hourly_max(one: Series, first_hour: int, hours: int) -> np.ndarray:
    index, starts, _ = _hour_slices(one, first_hour)
    maxima = np.maximum.reduceat(one.values, starts)
    out = np.zeros(hours)
    keep = (index >= 0) & (index < hours)
    out[index[keep]] = maxima[keep]
    return out


def _disagreement(stored: Hourly, raw: Hourly) -> dict[str, float]:
    """Largest relative difference per metric between the two paths, over every service-hour."""
    worst = {}
    for name, per_service in stored.items():
        diffs = [
            np.max(np.abs(values - raw[name][key]) / np.maximum(np.abs(values), 1e-12))
            for key, values in per_service.items()
        ]
        worst[name] = float(max(diffs))
    return worst


def _print(args: argparse.Namespace, pushed: Cost, raw: Cost, worst: dict[str, float]) -> None:
    print(f"{args.services} services x {args.days} days, 5-minute samples, batches of {BATCH}")
    print(f"{'path':<10}{'wall s':>10}{'requests':>10}{'MB received':>14}{'server CPU s':>14}")
    for name, cost in (("pushdown", pushed), ("raw", raw)):
        print(f"{name:<10}{cost.wall_s:>10.2f}{cost.requests:>10}"
              f"{cost.bytes_received / 1e6:>14.2f}{cost.server_cpu_s:>14.2f}")  # fmt: skip
    print(
        f"raw / pushdown: wall x{raw.wall_s / pushed.wall_s:.1f}, "
        f"bytes x{raw.bytes_received / pushed.bytes_received:.0f}, "
        f"server CPU x{raw.server_cpu_s / max(pushed.server_cpu_s, 1e-9):.1f}, "
        f"requests x{raw.requests / pushed.requests:.2f}"
    )
    print("largest relative difference between paths: "
          + ", ".join(f"{k} {v:.1e}" for k, v in sorted(worst.items())))  # fmt: skip


if __name__ == "__main__":
    main()
