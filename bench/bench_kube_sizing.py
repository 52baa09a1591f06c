"""Benchmark: per-container sizing statistics of a generated cluster, Tightrope vs KRR's queries.

Usage: python bench/bench_kube_sizing.py [--workloads 200 1000] [--days D] [--rounds R] [--rebuild]

Per size, one real Prometheus backfilled with the generated cluster (tests/support/
kube_fleet_sized: a third of the Deployments roll out, StatefulSet, DaemonSet, CronJob, HPA,
two 'app' Deployments; cAdvisor at 60 s), then alternating runs of
- KRR: its pod discovery and its four per-object queries of `simple`, verbatim, pods batched
  as KRR batches them, 6 at a time (tests/support/krr_queries.py);
- Tightrope: the scrape interval, the pods per workload, then one query per shard
  (data.connectors.kube.sizing.fetch_sizing, --workers at a time, default 4).
Prints wall time (median of the rounds), HTTP requests, bytes received, Prometheus's own CPU
seconds, Tightrope's bytes per stored value (a container's CPU p95 and memory max: 2 values)
and the share of workloads whose every container agrees within 5 % on both. TSDBs are cached
under /tmp (keyed by size and generator source); --rebuild forces new ones.

Measured 2026-12-07 (2 shared cores under other helpers' load), --days 2, 3 rounds:
200 workloads: KRR 13.9 s, 1,761 requests, 4.57 MB, Prometheus CPU 5.97 s; Tightrope 2.08 s,
9 requests, 0.15 MB, 0.89 s -> wall x6.7, 299 B per stored value, 96.5 % agree within 5 %.
1,000 workloads: KRR 71.8 s, 8,761 requests, 22.4 MB, 33.6 s; Tightrope 12.2 s, 25
requests, 0.72 MB, 5.0 s -> wall x5.9, 287 B per stored value, 97.6 % agree.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Run directly: put the repository root on the import path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_prometheus_collect import _server_cpu_s
from data.connectors.kube.runs import StatsConfig, scrape_interval
from data.connectors.kube.shards import WorkloadTarget
from data.connectors.kube.sizing import Stats, fetch_sizing
from data.connectors.prometheus.client import PrometheusClient
from tests.support import kube_fleet, kube_fleet_sized, kube_history, kube_openmetrics
from tests.support.krr_queries import KrrObject, KrrResult, run_krr
from tests.support.kube_history import ClusterHistory
from tests.support.prometheus import backfill, binaries, prometheus_server

TOLERANCE = 0.05


@dataclass(frozen=True)
class Run:
    wall_s: float
    requests: int
    bytes: int
    server_cpu_s: float


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4, help="Tightrope's (KRR: 6)")
    parser.add_argument(
        "--cpu-every",
        type=int,
        default=1,
        help="CPU p95 over every n-th scrape interval (default: all)",
    )
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    prometheus, promtool = binaries()
    for size in args.workloads:
        history = kube_fleet_sized.generate_sized(size, args.days)
        tsdb = _tsdb(history, size, args.days, promtool, rebuild=args.rebuild)
        with prometheus_server(prometheus, tsdb, timeout_s=300) as url:
            _bench(url, history, size, args)


def _tsdb(history: ClusterHistory, size: int, days: int, promtool: Path, *, rebuild: bool) -> Path:
    sources = b"".join(
        Path(m.__file__ or "").read_bytes()
        for m in (kube_fleet, kube_fleet_sized, kube_history, kube_openmetrics)
    )
    key = hashlib.sha256(sources).hexdigest()[:10]
    base = Path(f"/tmp/tightrope-bench-kube-{size}w-{days}d-{key}")
    if rebuild:
        shutil.rmtree(base, ignore_errors=True)
    if not (base / "tsdb").exists():
        started = time.perf_counter()
        files = kube_openmetrics.write_openmetrics(history, base / "openmetrics")
        written = sum(f.stat().st_size for f in files)
        middle = time.perf_counter()
        backfill(promtool, files, base / "tsdb")
        shutil.rmtree(base / "openmetrics")
        print(
            f"{size} workloads x {days} d: {written / 1e6:,.0f} MB of OpenMetrics written in "
            f"{middle - started:.1f} s, backfilled in {time.perf_counter() - middle:.1f} s"
        )
    return base / "tsdb"


def _bench(url: str, history: ClusterHistory, size: int, args: argparse.Namespace) -> None:
    workloads = history.found(history.start, history.end)
    targets = [
        WorkloadTarget(i, w.name, None, w.namespace, w.kind, w.name, len(w.containers))
        for i, w in enumerate(workloads)
    ]
    objects = sorted(
        {
            KrrObject(w.namespace, w.kind, w.name, c.name)
            for w in workloads
            for p in w.pods
            for c in p.containers
        },
        key=str,
    )
    window_s = history.samples * 60
    config = StatsConfig(
        window_s=window_s, interval_s=None, workers=args.workers, cpu_every_intervals=args.cpu_every
    )
    krr_runs, ours_runs = [], []
    krr: dict[KrrObject, KrrResult] = {}
    ours: Stats = {}

    def krr_once(client: PrometheusClient) -> None:
        krr.update(run_krr(client, objects, at=history.end, duration=f"{args.days}d"))

    def ours_once(client: PrometheusClient) -> None:
        interval_s = scrape_interval(client, config, at=history.end)
        stats, _, issues = fetch_sizing(
            client, targets, config, interval_s=interval_s, now=history.end
        )
        assert not issues, issues
        ours.update(stats)

    for _ in range(args.rounds):
        krr_runs.append(_measure(url, krr_once))
        ours_runs.append(_measure(url, ours_once))
    _report(size, args.days, len(objects), krr_runs, ours_runs, _agreement(workloads, ours, krr))


def _measure(url: str, body: Callable[[PrometheusClient], None]) -> Run:
    client = PrometheusClient.from_url(url, timeout_s=300.0)
    cpu_before = _server_cpu_s(url)
    started = time.perf_counter()
    body(client)
    wall = time.perf_counter() - started
    client.close()
    return Run(
        wall, client.stats.requests, client.stats.bytes_received, _server_cpu_s(url) - cpu_before
    )


def _agreement(
    workloads: list[kube_history.Workload], ours: Stats, krr: dict[KrrObject, KrrResult]
) -> float:
    agree = 0
    for w in workloads:
        mine = [o for o in krr if (o.namespace, o.kind, o.name) == (w.namespace, w.kind, w.name)]
        agree += bool(mine) and all(_close(ours, o, krr[o]) for o in mine)
    return agree / len(workloads)


def _close(ours: Stats, obj: KrrObject, theirs: KrrResult) -> bool:
    got = ours.get(("", obj.namespace, obj.kind, obj.name), {}).get(obj.container, {})
    pairs = (
        (got.get("cpu_p95"), theirs.cpu_p95_cores),
        (got.get("memory_max"), theirs.memory_max_bytes),
    )
    return all(a is not None and b and abs(a / b - 1) <= TOLERANCE for a, b in pairs)


def _report(
    size: int, days: int, containers: int, krr: list[Run], ours: list[Run], agreement: float
) -> None:
    k_wall = statistics.median(r.wall_s for r in krr)
    o_wall = statistics.median(r.wall_s for r in ours)
    k, o = krr[-1], ours[-1]
    print(
        f"\n{size} workloads ({containers} containers), {days} d at 60 s, {len(krr)} "
        "alternating rounds (median wall):"
    )
    print(
        f"  KRR queries : {k_wall:7.2f} s  {k.requests:6d} requests  {k.bytes / 1e6:7.2f} MB"
        f"  Prometheus CPU {statistics.median(r.server_cpu_s for r in krr):6.2f} s"
    )
    print(
        f"  Tightrope   : {o_wall:7.2f} s  {o.requests:6d} requests  {o.bytes / 1e6:7.2f} MB"
        f"  Prometheus CPU {statistics.median(r.server_cpu_s for r in ours):6.2f} s"
    )
    print(
        f"  -> wall x{k_wall / o_wall:.2f} (target >= 8), queries 1/{k.requests / o.requests:.0f}"
        f" (target <= 1/25), bytes 1/{k.bytes / o.bytes:.0f}; Tightrope "
        f"{o.bytes / (2 * containers):.0f} B per stored value; agreement within 5 %: "
        f"{agreement:.1%} of workloads"
    )


if __name__ == "__main__":
    main()
