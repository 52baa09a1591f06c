"""Benchmark: 50 concurrent API clients listing and applying against `python -m api`.

Usage: python bench/bench_api.py [--clients N] [--rounds R] [--postgres auto|URL]

A real `python -m api` process on a loopback port over a fresh migrated database (SQLite, and
PostgreSQL with --postgres: `auto` starts a private cluster from the local binaries, as the
tests do) holding 100 open recommendations. Each client (a thread with its own approver key and
connection) runs R rounds of: list the first page of open recommendations (limit 20), then
apply one of them picked at random with its ETag — so clients race for the same rows and most
applies lose with 412. First ten reads warm the server, then one client alone (the baseline,
same rounds), then N at once.
Printed: p50/p95 per operation and the ratio to the baseline; then the invariant the issue asks
for: every 200 apply made exactly one change, none twice (config changes = applied
recommendations = 200 answers), no 5xx. Bounded: N × R × 2 requests to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bench.scratch_databases import postgres_server, scratch_database, sqlite_url
from data.api_key_actions import ApiKeyDesk
from data.db import make_engine, make_sessions
from data.migrate import upgrade
from data.models import ConfigChangeRow, RecommendationRow
from data.settings import Settings
from data.workflow import WorkflowPolicy
from tests.data.workflow.world import NOW, add_open_rec
from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[1]
RECOMMENDATIONS = 100
READY_TIMEOUT_S = 120.0


def main() -> int:
    args = _arguments()
    backends: list[tuple[str, Callable[[], AbstractContextManager[str]]]] = [("sqlite", sqlite_url)]
    if args.postgres:
        backends.append(("postgresql", lambda: _postgres(args.postgres)))
    ok = True
    for name, database in backends:
        with database() as url:
            print(f"== {name}: {args.clients} clients x {args.rounds} rounds (list + apply)")
            ok &= _run(url, args.clients, args.rounds)
    return 0 if ok else 1


def _run(url: str, clients: int, rounds: int) -> bool:
    sessions = _prepare(url)
    keys = _keys(sessions, clients)
    with _api(url) as base:
        _warm_up(base, keys[0])
        alone = _load(base, keys[:1], rounds)
        together = _load(base, keys, rounds)
    _report(alone, together)
    return _check(sessions, alone, together)


Samples = dict[str, list[float]]


def _load(base: str, keys: list[str], rounds: int) -> tuple[Samples, Counter[int]]:
    samples: Samples = {"list": [], "apply": []}
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(len(keys))

    def client(key: str, seed: int) -> None:
        pick = random.Random(seed)
        mine: Samples = {"list": [], "apply": []}
        seen: Counter[int] = Counter()
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base, headers=headers, timeout=120.0) as http:
            start.wait()
            for _ in range(rounds):
                began = time.perf_counter()
                page = http.get("/v1/recommendations", params={"status": "open", "limit": 20})
                mine["list"].append(time.perf_counter() - began)
                seen[page.status_code] += 1
                items = page.json()["items"] if page.status_code == 200 else []
                if not items:
                    continue
                target = pick.choice(items)
                began = time.perf_counter()
                applied = http.post(
                    f"/v1/recommendations/{target['id']}/apply",
                    headers={"If-Match": target["etag"]},
                )
                mine["apply"].append(time.perf_counter() - began)
                seen[applied.status_code + 10_000] += 1  # apply statuses kept apart
        with lock:
            for op, values in mine.items():
                samples[op] += values
            statuses.update(seen)

    threads = [threading.Thread(target=client, args=(k, i)) for i, k in enumerate(keys)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples, statuses


def _warm_up(base: str, key: str) -> None:
    """A few reads first: imports, pools and caches of the server warm (no write: the check
    counts every apply)."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as http:
        for _ in range(10):
            http.get("/v1/recommendations", params={"status": "open", "limit": 20})


def _report(alone: tuple[Samples, Counter[int]], together: tuple[Samples, Counter[int]]) -> None:
    for op in ("list", "apply"):
        base_p50, base_p95 = _percentiles(alone[0][op])
        p50, p95 = _percentiles(together[0][op])
        print(
            f"  {op:5s} 1 client p50 {base_p50:7.1f} ms p95 {base_p95:7.1f} ms | "
            f"{len(together[0][op])} calls concurrent p50 {p50:7.1f} ms p95 {p95:7.1f} ms "
            f"({p50 / base_p50:.1f}x / {p95 / base_p95:.1f}x the baseline)"
        )
    print(f"  statuses (apply as 1xxxx): {dict(sorted((alone[1] + together[1]).items()))}")


def _percentiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        only = values[0] * 1000 if values else float("nan")
        return only, only
    cuts = statistics.quantiles(values, n=20)
    return statistics.median(values) * 1000, cuts[18] * 1000


def _check(
    sessions: sessionmaker[Session],
    alone: tuple[Samples, Counter[int]],
    together: tuple[Samples, Counter[int]],
) -> bool:
    statuses = alone[1] + together[1]
    won = statuses[10_200]
    with sessions() as session:
        changes = session.scalar(select(func.count()).select_from(ConfigChangeRow)) or 0
        per_rec = session.execute(
            select(ConfigChangeRow.recommendation_id, func.count()).group_by(
                ConfigChangeRow.recommendation_id
            )
        ).all()
        applied = session.scalar(
            select(func.count())
            .select_from(RecommendationRow)
            .where(RecommendationRow.status == "applied")
        )
    doubled = [rec for rec, count in per_rec if count > 1]
    errors = {s: n for s, n in statuses.items() if s % 10_000 >= 500}
    ok = won == changes == applied and not doubled and not errors
    print(
        f"  applies answered 200: {won}, config changes: {changes}, applied recommendations: "
        f"{applied}, applied twice: {len(doubled)}, 5xx: {errors or 0} -> "
        f"{'OK' if ok else 'FAILED'}"
    )
    return ok


def _prepare(url: str) -> sessionmaker[Session]:
    engine = make_engine(Settings(database_url=url, _env_file=None))
    upgrade(engine)
    sessions = make_sessions(engine)
    for i in range(RECOMMENDATIONS):
        add_open_rec(sessions, f"bench-{i:03d}")
    return sessions


def _keys(sessions: sessionmaker[Session], clients: int) -> list[str]:
    desk = ApiKeyDesk(sessions, WorkflowPolicy(local_actor="bench"))
    return [
        desk.create("bench", name=f"client-{i}", role="approver", now=NOW).secret
        for i in range(clients)
    ]


@contextmanager
def _api(url: str) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIGHTROPE_")}
    env.update(
        TIGHTROPE_DATABASE_URL=url, TIGHTROPE_API_PORT=str(port), TIGHTROPE_LOG_LEVEL="WARNING",
        TIGHTROPE_API_RATE_PER_S="10000", TIGHTROPE_API_RATE_BURST="100000",
    )  # fmt: skip
    server = subprocess.Popen([sys.executable, "-m", "api"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=60)


def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("python -m api exited before it was ready")
        try:
            if httpx.get(f"{base}/readyz", timeout=5.0).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("python -m api was not ready in time")


@contextmanager
def _postgres(given: str) -> Iterator[str]:
    with (
        postgres_server(given, required=True) as server_url,
        scratch_database(server_url or given) as url,
    ):
        yield url


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--postgres", default=os.environ.get("TIGHTROPE_BENCH_POSTGRES"))
    return parser.parse_args()


if __name__ == "__main__":
    raise SystemExit(main())
