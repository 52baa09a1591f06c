"""Benchmark: collection with 1 vs 3 queries in flight, on the same backfilled Prometheus.

Usage: python bench/bench_collect_scale.py [--services N] [--days D] [--rounds R]
       [--concurrency 1,3] [--max-samples S]

Each round collects every service's whole window into a fresh SQLite database once per
concurrency level, alternating which level goes first (the page cache and Prometheus's own
caches warm up for both alike); a warm-up run precedes the rounds. Prints per level the median
wall time, HTTP requests, MB received and Prometheus's CPU seconds (process_cpu_seconds_total
before and after), the wall-time ratio against the first level measured in the same run, and
checks every level stored the same rows. The TSDB is the one bench_prometheus_collect.py builds
and caches under /tmp. `--max-samples` sets the collector's sample budget (default: 20,000,000).

Measured 2026-12-07 (2 shared cores, load average 7-8 from other work), 14 days, medians of 3:
1,000 services: 1 in flight 66.4 s (query phase 51.7 s), 3 in flight 42.7 s (30.8 s) -> wall
x1.56, query phase x1.68; 244 requests, 81.1 MB and ~16 s of Prometheus CPU for both.
200 services: 11.2 s vs 11.0 s (x1.02; 84 requests, 16.2 MB, ~3 s Prometheus CPU).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

# Run directly: put the repository root on the import path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_prometheus_collect import (
    END,
    NOW,
    _draft,
    _server_cpu_s,
    _tsdb,
    binaries_or_exit,
)
from data.connectors.prometheus import CollectConfig, PrometheusClient, collect_usage
from data.db import make_engine, make_sessions
from data.migrate import upgrade
from data.repos.services import add_services
from data.repos.usage import load_usage
from data.settings import Settings
from tests.support import prometheus_history as history
from tests.support.prometheus import prometheus_server


@dataclass(frozen=True)
class Run:
    concurrency: int
    wall_s: float
    query_s: float
    requests: int
    bytes_received: int
    server_cpu_s: float
    splits: int
    digest: str


def main() -> None:
    args = _arguments()
    levels = [int(level) for level in args.concurrency.split(",")]
    services = history.demo_services(args.days * 24, count=args.services, special=False)
    prometheus, promtool = binaries_or_exit()
    tsdb = _tsdb(services, args.days, promtool, rebuild=False)
    runs: list[Run] = []
    with prometheus_server(prometheus, tsdb, timeout_s=300) as url:
        _collect(url, services, args, levels[-1])  # warm-up
        for round_ in range(args.rounds):
            order = levels if round_ % 2 == 0 else levels[::-1]
            runs.extend(_collect(url, services, args, level) for level in order)
    _print(args, levels, runs)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", default="1,3")
    parser.add_argument("--max-samples", type=int, default=20_000_000)
    return parser.parse_args()


def _collect(
    url: str, services: list[history.Service], args: argparse.Namespace, level: int
) -> Run:
    workdir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    engine = make_engine(Settings(database_url=f"sqlite:///{workdir}/t.db", _env_file=None))
    upgrade(engine)
    sessions = make_sessions(engine)
    with sessions.begin() as session:
        ids = [s.id for s in add_services(session, [_draft(i, s) for i, s in enumerate(services)],
                                          now=END)]  # fmt: skip
    client = PrometheusClient.from_url(url, timeout_s=120.0)
    config = CollectConfig(
        max_concurrent_queries=level,
        max_samples_per_query=args.max_samples,
        lookback_hours=args.days * 24,
    )
    cpu_before = _server_cpu_s(url)
    started = time.perf_counter()
    report = collect_usage(sessions, client, now=NOW, config=config)
    wall = time.perf_counter() - started
    cpu = _server_cpu_s(url) - cpu_before
    if report.stale or report.rows_written != args.days * 24 * len(services):
        sys.exit(f"collection at concurrency {level} failed: {report.summary()}")
    digest = _digest(sessions, ids, hours=args.days * 24)
    client.close()
    engine.dispose()
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"  concurrency {level}: {report.summary()}", flush=True)
    return Run(
        level,
        wall,
        report.query_s,
        report.queries,
        report.bytes_received,
        cpu,
        report.splits,
        digest,
    )


def _digest(sessions: sessionmaker[Session], ids: list[int], *, hours: int) -> str:
    """A hash of every stored value: equal digests, equal rows."""
    digest = hashlib.sha256()
    start = END - timedelta(hours=hours)
    with sessions() as session:
        for service_id in ids:
            window = load_usage(session, service_id, start=start, end=END)
            for column in (window.cpu_used_mean_cores, window.cpu_used_p95_cores,
                           window.memory_used_max_gib, window.requests_per_s,
                           window.latency_p95_ms):  # fmt: skip
                digest.update(column.tobytes())
    return digest.hexdigest()[:16]


def _print(args: argparse.Namespace, levels: list[int], runs: list[Run]) -> None:
    print(f"{args.services} services x {args.days} days, 5-minute samples, {args.rounds} "
          f"alternating rounds, budget {args.max_samples:,} samples/query (medians)")  # fmt: skip
    header = ("in flight", "wall s", "query s", "requests", "MB", "server CPU s", "splits")
    print("".join(f"{h:>13}" for h in header) + f"{'wall ratio':>12}{'query ratio':>13}")
    base = [r for r in runs if r.concurrency == levels[0]]
    base_wall = statistics.median(r.wall_s for r in base)
    base_query = statistics.median(r.query_s for r in base)
    for level in levels:
        mine = [r for r in runs if r.concurrency == level]
        wall = statistics.median(r.wall_s for r in mine)
        query = statistics.median(r.query_s for r in mine)
        cpu = statistics.median(r.server_cpu_s for r in mine)
        cells = (level, f"{wall:.2f}", f"{query:.2f}", mine[0].requests,
                 f"{mine[0].bytes_received / 1e6:.1f}", f"{cpu:.2f}", mine[0].splits)  # fmt: skip
        print("".join(f"{c:>13}" for c in cells)
              + f"{base_wall / wall:>11.2f}x{base_query / query:>12.2f}x")  # fmt: skip
    digests = {r.digest for r in runs}
    same = "yes" if len(digests) == 1 else f"NO ({len(digests)} different)"
    print(f"stored rows identical across levels and rounds: {same}")


if __name__ == "__main__":
    main()
