"""The collect_workload_stats job: nothing to do without a Prometheus or without workloads."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.connectors.prometheus import PrometheusClient
from data.settings import Settings
from jobs.context import JobContext
from jobs.definitions import Job, default_jobs
from jobs.runner import run_job
from tests.support.prometheus import History


def _job() -> Job:
    return next(job for job in default_jobs(60) if job.name == "collect_workload_stats")


def test_without_a_prometheus_the_job_writes_nothing(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    ctx = JobContext(settings, db_engine, sessions, load_catalog())

    result = run_job(ctx, _job())

    assert (result.status, result.rows) == ("success", 0)


@pytest.mark.prometheus
def test_a_prometheus_without_discovered_workloads_is_not_queried(
    settings: Settings,
    db_engine: Engine,
    sessions: sessionmaker[Session],
    prometheus_history: History,
) -> None:
    client = PrometheusClient.from_url(prometheus_history.url, timeout_s=10.0)
    ctx = JobContext(settings, db_engine, sessions, load_catalog(), prometheus=client)

    result = run_job(ctx, _job())

    client.close()
    assert (result.status, result.rows, client.stats.requests) == ("success", 0, 0)
