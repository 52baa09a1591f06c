"""The sidecar's collect_usage job against a real, backfilled Prometheus, and when it is down."""

from __future__ import annotations

import socket
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.connectors.prometheus import PrometheusClient, RetryPolicy
from data.models import JobRunRow
from data.repos.usage import latest_usage_hours
from data.settings import Settings
from jobs.context import JobContext
from jobs.definitions import Job, default_jobs
from jobs.runner import run_job
from tests.support.prometheus import History
from tests.support.prometheus_catalogue import catalogue

pytestmark = pytest.mark.prometheus


class Clock:
    def __init__(self, history: History) -> None:
        self.now = history.end + timedelta(minutes=20)

    def __call__(self) -> datetime:
        return self.now


def _collect_job() -> Job:
    return next(job for job in default_jobs(60) if job.name == "collect_usage")


def _dead_url() -> str:
    with socket.socket() as sock:  # a port nobody listens on (bound, then released)
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def _client(url: str) -> PrometheusClient:
    quick = RetryPolicy(max_attempts=1, base_delay_s=0.0, max_delay_s=0.0, max_elapsed_s=1.0)
    return PrometheusClient.from_url(url, timeout_s=10.0, retry=quick)


def _runs(sessions: sessionmaker[Session]) -> list[JobRunRow]:
    with sessions() as session:
        return list(session.scalars(select(JobRunRow).order_by(JobRunRow.id)))


def test_collect_job_fills_usage_then_catches_up_after_an_outage(
    settings: Settings,
    db_engine: Engine,
    sessions: sessionmaker[Session],
    prometheus_history: History,
) -> None:
    ids = catalogue(sessions, prometheus_history)
    clock = Clock(prometheus_history)
    live = JobContext(settings, db_engine, sessions, load_catalog(), clock=clock,
                      prometheus=_client(prometheus_history.url))  # fmt: skip
    down_url = _dead_url()
    down = replace(live, prometheus=_client(down_url))
    clock.now -= timedelta(hours=6)  # the first run sees the history up to 6 hours before its end

    first = run_job(live, _collect_job())
    clock.now += timedelta(hours=6)
    outage = run_job(down, _collect_job())
    with sessions() as session:
        during = latest_usage_hours(session)
    caught_up = run_job(live, _collect_job())

    with sessions() as session:
        after = latest_usage_hours(session)
    assert first.status == "success"
    assert first.rows > 0
    assert outage.status == "failed"
    assert (outage.error or "").startswith(f"TelemetryError: {down_url}: connection failed; ")
    assert "failed: 0 of " in (outage.error or "")
    assert caught_up.status == "success"
    assert caught_up.rows == 6 * len(ids)  # the gap, once
    last_hour = prometheus_history.end - timedelta(hours=1)
    assert set(during.values()) == {last_hour - timedelta(hours=6)}
    assert set(after.values()) == {last_hour}
    assert [r.status for r in _runs(sessions)] == ["success", "failed", "success"]
