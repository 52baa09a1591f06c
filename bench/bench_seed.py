"""Benchmark: seed the demo fleet (default 1,000 services × 90 days) into SQLite and PostgreSQL.

Usage: python bench/bench_seed.py [--services N] [--days D] [--runs K] [--postgres URL|auto|none]
(URL is a server URL without a database, e.g. postgresql+psycopg2://postgres@127.0.0.1:5432,
where a throwaway database is created and dropped; `auto`, the default, starts a private
cluster from the local PostgreSQL binaries as the tests do, and skips PostgreSQL without them)

Each run seeds a fresh migrated SQLite file, then a fresh PostgreSQL database, alternating, so
both see the same machine load; each line carries the 1-minute load average before and after.
The figure is the wall time of `seed_demo_fleet` (generation, then one transaction writing
services, configs, usage through SQLite executemany or PostgreSQL binary COPY, and the demo's FOCUS
costs) and its rows per second, with the CPU seconds of this process and, for a local
PostgreSQL server, of the server (from /proc). Target (issue 19): 1,000 services × 90 days
in ≤ 15 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

# `make bench` runs this file directly: put the repository root on the import path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench.scratch_databases import postgres_server, scratch_database, sqlite_url
from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.db import make_engine, make_sessions
from data.migrate import upgrade
from data.settings import Settings
from engine.catalog import Catalog

SEED = 42
END = datetime(2026, 11, 1, tzinfo=UTC)
BUDGET_S = 15.0


def main() -> int:
    args = _arguments()
    catalog = load_catalog()
    walls: dict[str, list[float]] = {}
    with postgres_server(args.postgres) as server_url:
        for run in range(1, args.runs + 1):
            with sqlite_url() as url:
                walls.setdefault("SQLite", []).append(_seed(url, "SQLite", run, catalog, args))
            if server_url is not None:
                with scratch_database(server_url, "tightrope_seed") as url:
                    wall_s = _seed(url, "PostgreSQL", run, catalog, args)
                    walls.setdefault("PostgreSQL", []).append(wall_s)
    # The target is reported, never asserted: a loaded machine is not a failure.
    for backend, times in walls.items():
        best = min(times)
        verdict = "within" if best <= BUDGET_S else "over"
        target = f"{verdict} the {BUDGET_S:.0f} s target"
        print(f"{backend}: best {best:.2f} s of {len(times)} ({target})")
    return 0


def _seed(url: str, backend: str, run: int, catalog: Catalog, args: argparse.Namespace) -> float:
    engine = make_engine(Settings(database_url=url, _env_file=None))
    upgrade(engine)  # off the clock: a deployment migrates once
    load_before = os.getloadavg()[0]
    server_before = _server_cpu_s(engine)
    started, cpu_started = time.perf_counter(), time.process_time()
    report = seed_demo_fleet(
        make_sessions(engine), catalog, seed=SEED, n_services=args.services, days=args.days,
        end=END,
    )  # fmt: skip
    wall_s = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_started
    server_s = _server_cpu_s(engine) - server_before
    engine.dispose()
    rows = report.usage_rows + report.cost_rows
    write_s = report.seconds - report.generation_seconds
    print(
        f"run {run} {backend}: {args.services:,} services × {args.days} days in {wall_s:.2f} s "
        f"wall ({cpu_s:.2f} s CPU in this process{_server_note(server_s)}), "
        f"{rows / wall_s:,.0f} rows/s "
        f"[{report.usage_rows:,} usage + {report.cost_rows:,} cost rows]; generation "
        f"{report.generation_seconds:.2f} s, database {write_s:.2f} s "
        f"({rows / write_s:,.0f} rows/s); load {load_before:.1f} → {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    return wall_s


def _server_cpu_s(engine: Engine) -> float:
    """CPU seconds of a local PostgreSQL server so far (its postmaster, the postmaster's
    children alive and ended), from /proc; NaN for SQLite or a server out of sight."""
    if engine.dialect.name != "postgresql":
        return float("nan")
    with engine.connect() as connection:
        backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    try:
        postmaster = int(_stat(int(backend or 0))[1])
        total = sum(int(field) for field in _stat(postmaster)[11:15])  # own + ended children
        for pid in _children(postmaster):
            total += sum(int(field) for field in _stat(pid)[11:13])
    except (OSError, ValueError):
        return float("nan")
    return total / os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """Fields of /proc/PID/stat after the command name (state is [0], ppid [1])."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat(int(entry.name))[1]) == parent:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue  # ended while we looked
    return found


def _server_note(server_s: float) -> str:
    return "" if server_s != server_s else f", {server_s:.2f} s in the server"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(
        "--postgres", metavar="URL", default=os.environ.get("TIGHTROPE_BENCH_POSTGRES", "auto")
    )
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(main())
