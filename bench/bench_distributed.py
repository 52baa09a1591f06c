"""Benchmark: recompute on a local Dask cluster vs in-process, on the same scratch database.

Usage: python bench/bench_distributed.py [--services N] [--workers W] [--days D]
       [--template T] [--sample S] [--postgres auto|URL]
(N defaults to 10,000, W to 2, D to 14 (the balanced profile's lookback), S to min(N, 10,000);
the goal's figure: `python bench/bench_distributed.py --services 100000 --workers 2`)

A demo fleet of T services is seeded into a scratch SQLite file (or a PostgreSQL database with
--postgres), then cloned in SQL up to S services (ids, slugs and usage copied) and recomputed
in-process: the reference throughput. In-process recompute holds the whole fleet's usage in one
process (100,000 services × 14 days is 33.6 M rows), so above S the reference is measured on
that first S of the same fleet (identical copies of the template) and the bench says so. The
fleet is then cloned on up to N services and recomputed on a LocalCluster of W worker processes
whose tasks read their own usage. Prints wall and CPU seconds of each, the cluster's start time,
services per second per worker against the in-process path (target ≥ 80 %), the same ratio by
CPU seconds (steadier on a busy machine) and by the workers' CPU alone, the parent's main-thread
CPU, how long it ran alone before the first batch was submitted and read on beside the workers
until the last (the fleet is read in chunks, each chunk's batches submitted as it is read), and
how long its write ran on after the last batch arrived (batches are written as they arrive,
decision 030), the pickled bytes of one batch's task and results, peak RSS of the parent
and the workers, and the load average after each phase. At N = S the two runs' outcome
counts must be equal; above it, every service rule's counts must be N / S times the
reference's (the commitments are per team, not per service).
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Run directly: put the repository root on the import path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import ColumnElement, Engine, Executable, Table, func, insert, literal, select
from sqlalchemy.orm import Session, sessionmaker

from bench.scratch_databases import postgres_server, scratch_database, sqlite_url
from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.db import make_engine, make_sessions
from data.migrate import upgrade
from data.models import Base
from data.repos.fleet_usage import load_usage_windows
from data.settings import Settings
from engine.catalog import Catalog
from engine.profiles import PROFILES
from jobs import cluster_eval, fleet_eval
from jobs.cluster import FleetCluster
from jobs.container_recs import with_containers
from jobs.recompute import RecomputeReport, read_fleet, recompute

END = datetime(2026, 11, 20, tzinfo=UTC)
PROFILE = PROFILES["balanced"]


def main() -> int:
    args = _arguments()
    with _database(args.postgres) as url:
        settings = Settings(database_url=url, _env_file=None)
        engine = make_engine(settings)
        try:
            upgrade(engine)
            _seed(engine, args)
            tops = _tops(engine)
            _clone_up_to(engine, args, tops, args.sample)
            local, local_cpu_s = _in_process(engine)
            _clone_up_to(engine, args, tops, args.services)
            _compare(settings, engine, args, (local, local_cpu_s))
        finally:
            engine.dispose()
    return 0


@contextmanager
def _database(postgres: str | None) -> Iterator[str]:
    if postgres is None:
        with sqlite_url("tightrope-dist-") as url:
            yield url
        return
    with postgres_server(postgres, required=True) as server:
        assert server is not None  # required: no server exits instead
        with scratch_database(server) as url:
            yield url


CLONED = ("service", "capacity_config", "usage_hourly")


def _seed(engine: Engine, args: argparse.Namespace) -> None:
    """The demo fleet of `template` services the clones copy."""
    sessions = make_sessions(engine)
    seed_demo_fleet(
        sessions, load_catalog(), seed=7, n_services=args.template, days=args.days, end=END
    )


def _tops(engine: Engine) -> dict[str, int]:
    """The template's highest key in each cloned table (copies move their keys past it)."""
    tables = [Base.metadata.tables[name] for name in CLONED]
    with engine.connect() as connection:
        return {t.name: int(connection.scalar(select(func.max(t.c[_key(t)]))) or 0) for t in tables}


def _clone_up_to(
    engine: Engine, args: argparse.Namespace, tops: dict[str, int], services: int
) -> None:
    """Copies of the template (in SQL) until the fleet holds at least `services` services."""
    started = time.perf_counter()
    have = _count(engine, "service") // args.template
    # The usage table's secondary indexes (by hour) take each copy's rows in the middle of a
    # B-tree that grows to 33.6 M entries: dropped for the copies and rebuilt once, sorted, after.
    secondary = Base.metadata.tables["usage_hourly"].indexes
    with engine.begin() as connection:
        for index in secondary:
            index.drop(connection)
    for copy in range(have, -(-services // args.template)):
        with engine.begin() as connection:  # a transaction per copy: SQLite's WAL stays small
            for name in CLONED:
                connection.execute(_clone(Base.metadata.tables[name], copy, tops))
    with engine.begin() as connection:
        for index in secondary:
            index.create(connection)
    print(f"fleet: {_count(engine, 'service'):,} services, "
          f"{_count(engine, 'usage_hourly'):,} usage rows ({args.days} days), "
          f"filled in {time.perf_counter() - started:.1f} s")  # fmt: skip


def _key(table: Table) -> str:
    return "service_id" if table.name == "usage_hourly" else "id"


def _clone(table: Table, copy: int, tops: dict[str, int]) -> Executable:
    """INSERT … SELECT of the template's rows, ids moved past the previous copies' and slugs
    suffixed (only current configs: the rules read no other)."""
    moved = {"id": copy * tops[table.name], "service_id": copy * tops["service"]}
    columns: list[ColumnElement[Any]] = []
    for column in table.columns:
        if column.name in moved:
            columns.append((column + moved[column.name]).label(column.name))
        elif column.name == "slug":
            columns.append((column + literal(f"--copy{copy}")).label(column.name))
        else:
            columns.append(column)
    template = select(*columns).where(table.c[_key(table)] <= tops[table.name])
    if table.name == "capacity_config":
        template = template.where(table.c.is_current)
    return insert(table).from_select([c.name for c in table.columns], template)


def _count(engine: Engine, name: str) -> int:
    with engine.connect() as connection:
        table = Base.metadata.tables[name]
        return int(connection.scalar(select(func.count()).select_from(table)) or 0)


def _in_process(engine: Engine) -> tuple[RecomputeReport, float]:
    """The reference: recompute in this process, on the fleet as it is now."""
    sessions, catalog = make_sessions(engine), load_catalog()
    local, cpu_s = _timed(lambda: recompute(sessions, catalog, profile=PROFILE, now=END))
    peak_mib = _peak_rss_mib()
    print(f"in-process on {local.services:,} services: {local.seconds:.2f} s wall, "
          f"{cpu_s:.2f} s CPU, peak RSS {peak_mib:,.0f} MiB, load {_load()}")  # fmt: skip
    return local, cpu_s


def _compare(
    settings: Settings,
    engine: Engine,
    args: argparse.Namespace,
    reference: tuple[RecomputeReport, float],
) -> None:
    sessions, catalog = make_sessions(engine), load_catalog()
    local, local_cpu_s = reference
    with FleetCluster(settings, workers=args.workers) as cluster:
        started = time.perf_counter()
        client = cluster.client()
        start_s = time.perf_counter() - started
        before = client.run(time.process_time)
        main_cpu = time.thread_time()
        with _last_batch_watched() as watch:
            began = time.perf_counter()
            remote, parent_cpu_s = _timed(
                lambda: recompute(sessions, catalog, profile=PROFILE, now=END, cluster=cluster)
            )
            ended = time.perf_counter()
        main_cpu_s = time.thread_time() - main_cpu
        workers_cpu_s = _cpu_delta(before, client.run(time.process_time))
        workers_mib = sorted(client.run(_peak_rss_mib).values())
    _check_same(local, remote)
    print(f"cluster CPU: parent {parent_cpu_s:.2f} s (its main thread {main_cpu_s:.2f} s: "
          f"reads, commitments, writes; the rest is the Dask client's thread), "
          f"workers {workers_cpu_s:.2f} s; load {_load()}")  # fmt: skip
    head_s, reading_s, tail_s = watch[0] - began, watch[1] - watch[0], ended - watch[2]
    print(f"parent alone: {head_s:.2f} s wall before the first batch was submitted (sizings, "
          f"the fleet read's first chunk), then {reading_s:.2f} s reading on beside the "
          f"workers; {tail_s:.2f} s after the last batch arrived (the write's tail)")  # fmt: skip
    print(f"peak RSS: parent {_peak_rss_mib():,.0f} MiB, workers "
          f"{', '.join(f'{m:,.0f}' for m in workers_mib)} MiB")  # fmt: skip
    _print_batch_bytes(sessions, catalog, settings)
    _print(args, local, local_cpu_s, remote, (parent_cpu_s, workers_cpu_s), start_s)


@contextmanager
def _last_batch_watched() -> Iterator[list[float]]:
    """When recompute submitted its first and its last batch, and when their stream ran out
    (perf_counter). The batches are submitted when `evaluate_on` is called, as its lazy `work`
    reads the fleet: `work` is watched, and the stream wrapped without delaying the call."""
    watch = [float("nan")] * 3
    original = cluster_eval.evaluate_on

    def submitted(work: Iterable[cluster_eval.Batch]) -> Iterator[cluster_eval.Batch]:
        for index, batch in enumerate(work):
            if index == 0:
                watch[0] = time.perf_counter()
            yield batch
        watch[1] = time.perf_counter()

    def streamed(batches: Generator[Any, None, None]) -> Generator[Any, None, None]:
        with closing(batches):
            yield from batches
        watch[2] = time.perf_counter()

    def watched(cluster: FleetCluster, work: Any, catalog: Catalog) -> Generator[Any, None, None]:
        return streamed(original(cluster, submitted(work), catalog))

    cluster_eval.evaluate_on = watched
    try:
        yield watch
    finally:
        cluster_eval.evaluate_on = original


def _print_batch_bytes(
    sessions: sessionmaker[Session], catalog: Catalog, settings: Settings
) -> None:
    """Pickled bytes of one batch's task and of its results, prepared (what a worker returns)
    and as engine Recommendations (what workers returned before decision 030's amendment)."""
    fleet, sizings = read_fleet(sessions, catalog)
    [batch, *_] = cluster_eval.batches(settings, fleet, sizings, profile=PROFILE, now=END)
    prepared = cluster_eval.evaluate_batch(batch, catalog)
    with sessions() as session:
        ids = [service.id for service, _ in batch.services]
        start = END - timedelta(days=PROFILE.lookback_days)
        windows = load_usage_windows(session, ids, start=start, end=END)
    contexts = cluster_eval.make_contexts(batch.services, windows, catalog, PROFILE, END)
    recs = with_containers(fleet_eval.evaluate(contexts), contexts, dict(batch.sizings))
    n = len(batch.services)
    sizes = [len(pickle.dumps(x, protocol=5)) for x in (batch, prepared, recs)]
    print(f"bytes per batch of {n} services: task {sizes[0]:,}, results prepared "
          f"{sizes[1]:,} (as Recommendations {sizes[2]:,}); the catalog, once per worker: "
          f"{len(pickle.dumps(catalog, protocol=5)):,}")  # fmt: skip


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _check_same(local: RecomputeReport, remote: RecomputeReport) -> None:
    """Equal outcome counts; on a bigger fleet of copies, each service rule's scaled."""
    if remote.services == local.services:
        assert (remote.outcomes, remote.recommendations) == (local.outcomes, local.recommendations)
        return
    copies, rest = divmod(remote.services, local.services)
    assert rest == 0, "the fleet must be a whole number of samples"
    kinds = {k: n * copies for k, n in local.recommendations.items() if k != "commitment"}
    assert {k: n for k, n in remote.recommendations.items() if k != "commitment"} == kinds


def _peak_rss_mib() -> float:
    """This process's peak resident set (VmHWM: ru_maxrss would count a forked parent's)."""
    status = Path("/proc/self/status").read_text()
    return (
        next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
        / 1024
    )


def _timed(call: object) -> tuple[RecomputeReport, float]:
    cpu = time.process_time()
    report: RecomputeReport = call()  # type: ignore[operator]
    return report, time.process_time() - cpu


def _cpu_delta(before: dict[str, float], after: dict[str, float]) -> float:
    """Workers' CPU seconds between two readings (a worker restarted between counts whole)."""
    return sum(after[w] - before.get(w, 0.0) for w in after)


def _print(
    args: argparse.Namespace,
    local: RecomputeReport,
    local_cpu_s: float,
    remote: RecomputeReport,
    parent_and_workers_cpu_s: tuple[float, float],
    start_s: float,
) -> None:
    n, m, w = local.services, remote.services, args.workers
    remote_cpu_s = sum(parent_and_workers_cpu_s)
    local_rate, per_worker = n / local.seconds, m / remote.seconds / w
    print(f"workers: {w}   load average: {_load()}")
    print(f"local cluster start (workers warmed): {start_s:.2f} s (once per sidecar, not per run)")
    sample = "" if m == n else f" (a sample: the first {n:,} of the {m:,}, see --sample)"
    print(f"in-process: {n:,} services{sample}: {local.seconds:.2f} s wall, "
          f"{local_cpu_s:.2f} s CPU, {local_rate:,.0f} services/s")  # fmt: skip
    print(f"cluster:    {m:,} services: {remote.seconds:.2f} s wall, {remote_cpu_s:.2f} s CPU "
          f"(parent + workers), {per_worker:,.0f} services/s per worker")  # fmt: skip
    print(f"throughput per worker vs in-process (wall): {per_worker / local_rate:.0%}")
    cpu_ratio = (local_cpu_s / n) / (remote_cpu_s / m)
    print(f"CPU efficiency vs in-process (CPU s per service): {cpu_ratio:.0%} (target ≥ 80 %)")
    workers_ratio = (local_cpu_s / n) / (parent_and_workers_cpu_s[1] / m)
    print(f"  the workers alone: {workers_ratio:.0%} (the parent runs beside them: on a machine "
          f"with no core to spare it takes theirs, on a cluster it has its own)")  # fmt: skip


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--days", type=int, default=PROFILE.lookback_days)
    parser.add_argument("--template", type=int, default=50, help="demo services seeded")
    parser.add_argument("--sample", type=int, default=None, help="in-process services")
    parser.add_argument("--postgres", default=None, help="auto or a server URL (default SQLite)")
    args = parser.parse_args()
    args.sample = min(args.services, args.sample or 10_000)
    return args


if __name__ == "__main__":
    raise SystemExit(main())
