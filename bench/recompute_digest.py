"""Bench: one real recompute on a fresh copy of a scratch fleet, its time, and a digest of its rows.

Usage: python bench/recompute_digest.py DB [--services N] [--workers W]
DB is a SQLite file path or a PostgreSQL URL (`postgresql+psycopg2://…/name`). A SQLite file
that does not exist is built first as bench_distributed builds its fleet (50 demo services,
14 days, cloned in SQL to N, default 10,000); the recompute then runs on a copy, so every run
starts from the same rows. A PostgreSQL database is used as it is (make a fresh one per run,
e.g. `CREATE DATABASE run TEMPLATE built`).

The digest is a SHA-256 over every stored row of `recommendation` (every column but `id`,
sorted by fingerprint), `rule_outcome` and `audit_event`, as the driver returns them: two
runs with equal digests stored the same values. Run it before and after a change to the
recompute path (a `git worktree` of each side as the first argument of PYTHONPATH), in-process
and with --workers 2, to prove a change stores the same recommendations (decision 030).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import time
from pathlib import Path

# Run directly: put the repository root on the import path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine

from bench import bench_distributed
from data.catalog import load_catalog
from data.db import make_engine, make_sessions
from data.migrate import upgrade
from data.settings import Settings
from jobs.cluster import FleetCluster
from jobs.recompute import recompute

# (table, order, columns left out): ids of new recommendations are the only value a
# change of path may legitimately number differently.
DIGESTED: tuple[tuple[str, str, set[str]], ...] = (
    ("recommendation", "fingerprint, status, id", {"id"}),
    ("rule_outcome", "service_id, kind", set()),
    ("audit_event", "id", set()),
)


def main() -> int:
    args = _arguments()
    if args.db.startswith("postgresql"):
        _run(args.db, args.workers)
        return 0
    if not Path(args.db).exists():
        _build(f"sqlite:///{args.db}", args.services)
    work = f"{args.db}.run{os.getpid()}"
    shutil.copy(args.db, work)
    try:
        _run(f"sqlite:///{work}", args.workers)
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(work + suffix).unlink(missing_ok=True)
    return 0


def _build(url: str, services: int) -> None:
    """bench_distributed's fleet: the demo template cloned in SQL to `services`."""
    engine = make_engine(Settings(database_url=url, _env_file=None))
    try:
        upgrade(engine)
        fill = argparse.Namespace(template=50, days=14)
        bench_distributed._seed(engine, fill)
        bench_distributed._clone_up_to(engine, fill, bench_distributed._tops(engine), services)
    finally:
        engine.dispose()


def _run(url: str, workers: int) -> None:
    settings = Settings(database_url=url, _env_file=None)
    engine = make_engine(settings)
    sessions, catalog = make_sessions(engine), load_catalog()
    profile, now = bench_distributed.PROFILE, bench_distributed.END
    try:
        with FleetCluster(settings, workers=workers) if workers > 1 else _Nothing() as cluster:
            client = cluster.client() if cluster else None
            before = client.run(time.process_time) if client else {}
            cpu_s, wall_s = time.process_time(), time.perf_counter()
            report = recompute(sessions, catalog, profile=profile, now=now, cluster=cluster)
            cpu_s, wall_s = time.process_time() - cpu_s, time.perf_counter() - wall_s
            after = client.run(time.process_time) if client else {}
        workers_cpu_s = sum(after[w] - before.get(w, 0.0) for w in after)
        where = f"{workers} workers" if cluster else "in-process"
        print(f"{where}, {report.services:,} services: {wall_s:.2f} s wall, {cpu_s:.2f} s CPU "
              f"(this process) + {workers_cpu_s:.2f} s (workers), load "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
        print(f"saved: {report.saved}")
        for table, (rows, digest) in _digests(engine).items():
            print(f"digest {table}: {rows:,} rows {digest}")
    finally:
        engine.dispose()


class _Nothing:
    """No cluster: `with` gives None."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


def _digests(engine: Engine) -> dict[str, tuple[int, str]]:
    out = {}
    with engine.connect() as connection:
        for table, order, left_out in DIGESTED:
            # Names from the constant above, never from input.
            result = connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY {order}")
            names = list(result.keys())
            digest, rows = hashlib.sha256(), 0
            for row in result:
                kept = tuple(v for k, v in zip(names, row, strict=True) if k not in left_out)
                digest.update(repr(kept).encode())
                rows += 1
            out[table] = (rows, digest.hexdigest())
    return out


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", help="SQLite file (built if missing) or PostgreSQL URL")
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    return parser.parse_args()


if __name__ == "__main__":
    raise SystemExit(main())
