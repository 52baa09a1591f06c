"""One sidecar per database, orphans closed at start, and a sidecar that dies with its parent —
each with real `python -m jobs run` processes on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from data.models import JobRequestRow, JobRunRow
from data.repos.job_requests import CLAIMED, request_run
from data.repos.job_status import job_statuses
from data.settings import Settings
from jobs.cleanup import ORPHAN_REASON
from jobs.locks import exclusive, sidecar_lock
from tests.support.postgres import free_port
from tests.support.processes import stop, tail, wait_until_ready

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTED = datetime(2026, 11, 20, 9, tzinfo=UTC)
TIMEOUT_S = 90

needs_scheduler = pytest.mark.skipif(
    "FAKETIME" in os.environ,
    reason="under libfaketime the scheduler thread's timed waits never return (see "
    "test_sidecar_process.py); these tests need no particular date",
)


class SidecarFailed(RuntimeError):
    """The sidecar did not become ready."""


@needs_scheduler
def test_a_second_sidecar_on_the_same_database_exits_with_a_reason(
    settings: Settings, tmp_path: Path
) -> None:
    with _sidecar(settings, tmp_path / "first.log"):
        second = subprocess.run(
            [sys.executable, "-m", "jobs", "run", "--workers", "1"], cwd=REPO_ROOT,
            env=_env(settings, free_port()), capture_output=True, text=True, timeout=TIMEOUT_S,
        )  # fmt: skip

    assert second.returncode == 2
    assert "another sidecar already serves this database" in second.stderr


@needs_scheduler
def test_a_start_closes_runs_and_claims_a_killed_sidecar_left_open(
    settings: Settings, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    run_id, request_id = _leave_orphans(sessions)

    with _sidecar(settings, tmp_path / "sidecar.log"), sessions() as session:
        run = session.get_one(JobRunRow, run_id)
        request = session.get_one(JobRequestRow, request_id)
        shown = job_statuses(session, ["collect_usage"], now=STARTED + timedelta(days=1))

    assert (run.status, run.error) == ("failed", ORPHAN_REASON)
    assert run.finished_at is not None
    assert request.status == "failed"
    assert shown[0].last_error is not None
    assert shown[0].last_error.error == ORPHAN_REASON  # what the Data sources page shows


@needs_scheduler
def test_a_run_whose_job_lock_is_held_is_not_an_orphan(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    run_id, _ = _leave_orphans(sessions)

    # A live `python -m jobs once collect_usage` holds the job's lock while its run is open.
    with exclusive(db_engine, "collect_usage") as mine:
        assert mine
        with _sidecar(settings, tmp_path / "sidecar.log"), sessions() as session:
            status = session.get_one(JobRunRow, run_id).status

    assert status == "running"


def test_the_sidecar_lock_is_exclusive_until_released(db_engine: Engine) -> None:
    with sidecar_lock(db_engine) as first, sidecar_lock(db_engine) as second:
        assert (first, second) == (True, False)
    with sidecar_lock(db_engine) as again:
        assert again


@needs_scheduler
def test_the_sidecar_stops_when_its_parent_is_killed(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "sidecar.log"
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(log)], cwd=REPO_ROOT, env=_env(settings, port),
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert parent.stdout is not None
        sidecar_pid = int(parent.stdout.readline())
        _wait_ready(parent, port, log)

        parent.kill()
        parent.wait(timeout=TIMEOUT_S)
        gone = _wait_gone(sidecar_pid)
    finally:
        stop(parent)
        if _alive(sidecar_pid):
            os.kill(sidecar_pid, signal.SIGKILL)

    assert gone, tail(log)
    assert "shutting the scheduler down" in log.read_text()


# The parent: starts the sidecar with --exit-with-parent, prints its pid, then waits forever.
_PARENT = """
import subprocess, sys, threading
with open(sys.argv[1], "wb") as log:
    child = subprocess.Popen([sys.executable, "-m", "jobs", "run", "--workers", "1",
                              "--exit-with-parent"], stdout=log, stderr=subprocess.STDOUT)
print(child.pid, flush=True)
threading.Event().wait()
"""


def _leave_orphans(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """What a sidecar SIGKILLed mid-run leaves: a running job_run row, a claimed request."""
    with sessions.begin() as session:
        run = JobRunRow(job="collect_usage", started_at=STARTED, status="running", rows=0,
                        window_start=STARTED - timedelta(hours=1), window_end=STARTED)  # fmt: skip
        session.add(run)
        request_id = request_run(session, "recompute", actor="ana", now=STARTED)
        session.flush()
        session.get_one(JobRequestRow, request_id).status = CLAIMED
        session.get_one(JobRequestRow, request_id).claimed_at = STARTED
        return run.id, request_id


@contextmanager
def _sidecar(settings: Settings, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m jobs run`, ready (its start-up cleanup done, scheduler running), then stopped."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jobs", "run", "--workers", "1"], cwd=REPO_ROOT,
            env=_env(settings, port), stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_ready(process, port, log)
        yield process
    finally:
        stop(process)


def _wait_ready(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    wait_until_ready(process, f"http://127.0.0.1:{port}/readyz",
                     ready=lambda r: r.status == 200, name="sidecar", timeout_s=TIMEOUT_S,
                     log_path=log, error=SidecarFailed)  # fmt: skip


def _env(settings: Settings, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "TIGHTROPE_DATABASE_URL": settings.database_url,
        "TIGHTROPE_METRICS_PORT": str(port),
        "TIGHTROPE_CLOCK_FIXED_AT": (STARTED + timedelta(days=1)).isoformat(),
    }


def _wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def _alive(pid: int) -> bool:
    """Running (a zombie awaiting its new parent's wait counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status
