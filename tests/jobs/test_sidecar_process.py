"""`python -m jobs run` as an operator starts it: demo catch-up, recompute, stop on SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.connectors.demo.live import extend_demo_usage
from data.db import make_engine, make_sessions
from data.models import JobRunRow
from data.repos.usage import latest_usage_hours
from data.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
END = datetime(2026, 11, 20, tzinfo=UTC)
SEED, SERVICES = 7, 6
JOBS = (
    "discover_workloads", "collect_usage", "collect_workload_stats", "rollup_usage",
    "refresh_costs", "rollup_costs",
    "recompute", "check_budgets", "detect_anomalies", "expire_stale", "prune_webhooks",
)  # fmt: skip


@pytest.fixture
def seeded_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "tightrope.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(Settings(database_url=url, _env_file=None))
    seed_demo_fleet(
        make_sessions(engine), load_catalog(), seed=SEED, n_services=SERVICES, days=15, end=END
    )
    engine.dispose()
    return url


def test_the_demo_feed_appends_each_missing_hour_once(seeded_url: str) -> None:
    engine = make_engine(Settings(database_url=seeded_url, _env_file=None))
    sessions = make_sessions(engine)
    until = END + timedelta(hours=5)

    first = extend_demo_usage(sessions, load_catalog(), seed=SEED, n_services=SERVICES, until=until)
    again = extend_demo_usage(sessions, load_catalog(), seed=SEED, n_services=SERVICES, until=until)

    with sessions() as session:
        latest = latest_usage_hours(session)
    engine.dispose()
    assert (first, again) == (5 * SERVICES, 0)
    assert set(latest.values()) == {until - timedelta(hours=1)}


@pytest.mark.skipif(
    "FAKETIME" in os.environ,
    reason="under libfaketime the scheduler thread's timed waits never return (it fakes the "
    "clock pthread_cond_timedwait reads); this test pins the sidecar's clock with "
    "TIGHTROPE_CLOCK_FIXED_AT instead, so it already runs far from the calendar's date",
)
def test_sidecar_catches_up_recomputes_and_stops_on_sigterm(seeded_url: str) -> None:
    metrics_port = _free_port()
    env = {
        **os.environ,
        "TIGHTROPE_DATABASE_URL": seeded_url,
        "TIGHTROPE_DEMO_SEED": str(SEED),
        "TIGHTROPE_DEMO_SERVICES": str(SERVICES),
        "TIGHTROPE_LOG_JSON": "true",
        "TIGHTROPE_METRICS_PORT": str(metrics_port),
        # Two days after the demo ends, whatever the calendar says: a catch-up of fixed size.
        "TIGHTROPE_CLOCK_FIXED_AT": (END + timedelta(days=2, minutes=30)).isoformat(),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "jobs", "run", "--workers", "1"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        runs = _wait_for_runs(seeded_url, set(JOBS), timeout_s=90)
        metrics = _scrape(metrics_port)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert {run.job: run.status for run in runs} == dict.fromkeys(JOBS, "success")
    collect = next(run for run in runs if run.job == "collect_usage")
    assert collect.rows == 2 * 24 * SERVICES  # the demo was two days behind the clock
    costs = next(run for run in runs if run.job == "refresh_costs")
    assert costs.rows > 0  # … and so were its costs, priced from that usage
    assert '"message": "signal SIGTERM: shutting the scheduler down"' in output
    rows = _sample(metrics, 'tightrope_job_rows_total{job="collect_usage"}')
    assert rows == collect.rows
    assert (_sample(metrics, "tightrope_recommendations_open") or 0) > 0
    assert _sample(metrics, 'tightrope_job_failures_total{job="recompute"}') is None  # none


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return str(response.read().decode())


def _sample(text: str, name: str) -> float | None:
    """The value of one exposition-format sample, None when absent."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None


def _wait_for_runs(url: str, jobs: set[str], *, timeout_s: float) -> list[JobRunRow]:
    engine = make_engine(Settings(database_url=url, _env_file=None))
    sessions = make_sessions(engine)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            with sessions() as session:
                runs = list(
                    session.scalars(select(JobRunRow).where(JobRunRow.finished_at.is_not(None)))
                )
            if {run.job for run in runs} >= jobs:
                return runs
            time.sleep(0.5)
    finally:
        engine.dispose()
    raise AssertionError(f"the sidecar did not finish {sorted(jobs)} within {timeout_s} s")
