"""The sidecar's discover_workloads job through run_job, against real Prometheus servers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.connectors.prometheus import PrometheusClient
from data.settings import Settings
from jobs.context import JobContext
from jobs.definitions import Job, default_jobs
from jobs.runner import run_job
from tests.support.kube_prometheus import KubePrometheus
from tests.support.prometheus import History

pytestmark = pytest.mark.prometheus


def _job() -> Job:
    # Runs use now=True ("Run now"): the window ends at the clock, so runs minutes apart
    # each have one.
    return next(job for job in default_jobs(60) if job.name == "discover_workloads")


def _context(settings: Settings, db_engine: Engine, sessions: sessionmaker[Session], url: str,
             at: datetime) -> JobContext:  # fmt: skip
    return JobContext(settings, db_engine, sessions, load_catalog(), clock=lambda: at,
                      prometheus=PrometheusClient.from_url(url, timeout_s=60.0))  # fmt: skip


def test_the_job_stores_a_cluster_once_and_then_finds_nothing_to_change(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session],
    kube_prometheus: KubePrometheus,
) -> None:  # fmt: skip
    end = kube_prometheus.history.end
    first = run_job(
        _context(settings, db_engine, sessions, kube_prometheus.url, end), _job(), now=True
    )

    again = run_job(_context(settings, db_engine, sessions, kube_prometheus.url,
                             end + timedelta(minutes=5)), _job(), now=True)  # fmt: skip

    assert (first.status, again.status) == ("success", "success")
    assert first.rows == 56 + 4  # workloads created, nodes added
    assert again.rows == 0


def test_a_prometheus_without_kube_state_metrics_is_not_a_failure_until_a_cluster_was_seen(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session],
    kube_prometheus: KubePrometheus, prometheus_history: History,
) -> None:  # fmt: skip
    at = kube_prometheus.history.end
    before = run_job(_context(settings, db_engine, sessions, prometheus_history.url, at), _job(),
                     now=True)  # fmt: skip
    run_job(_context(settings, db_engine, sessions, kube_prometheus.url,
                     at + timedelta(minutes=5)), _job(), now=True)  # fmt: skip

    after = run_job(_context(settings, db_engine, sessions, prometheus_history.url,
                             at + timedelta(minutes=10)), _job(), now=True)  # fmt: skip

    assert (before.status, before.rows) == ("success", 0)
    assert after.status == "failed"
    assert after.error is not None
    assert "no kube-state-metrics pods" in after.error
