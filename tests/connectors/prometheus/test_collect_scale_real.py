"""Collection at scale against a real Prometheus: sample limits, concurrency, partial runs."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.connectors.prometheus import (
    CollectConfig,
    CollectReport,
    PrometheusClient,
    RetryPolicy,
    collect_usage,
)
from data.models import JobRunRow, UsageHourlyRow
from data.repos.job_status import job_statuses
from data.repos.usage import insert_usage, latest_usage_hours, load_usage
from data.settings import Settings
from jobs.context import JobContext
from jobs.definitions import default_jobs
from jobs.runner import run_job
from tests.factories import make_usage
from tests.support.prometheus import History, backfill, binaries, prometheus_server
from tests.support.prometheus_catalogue import catalogue
from tests.support.prometheus_history import demo_services, expected, write_openmetrics
from tests.support.prometheus_proxy import fault_proxy

pytestmark = pytest.mark.prometheus
SETTLE = timedelta(minutes=15)
SMALL_END = datetime.fromisoformat("2026-10-01T00:00:00+00:00")
SMALL_DAYS = 3
# Far under what one 50-service batch over 3 days loads (~90,000 samples for its p95 query),
# above what one service's does: the collector must split to store anything.
TINY_MAX_SAMPLES = 5_000
UNLIMITED = 10**9  # the collector's own budget, out of the way: only the server limits


@pytest.fixture(scope="module")
def small_tsdb(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, History]:
    """3 days of the test fleet plus 24 ordinary services, backfilled once (a few seconds)."""
    _, promtool = binaries()
    base = tmp_path_factory.mktemp("prometheus-small")
    services = demo_services(SMALL_DAYS * 24, count=24)
    start = SMALL_END - timedelta(days=SMALL_DAYS)
    backfill(promtool, write_openmetrics(services, start=start, out_dir=base / "om"), base / "tsdb")
    return base / "tsdb", History("", services, SMALL_END, SMALL_DAYS)


@contextmanager
def small_server(small_tsdb: tuple[Path, History], **flags: Any) -> Iterator[History]:
    """A server on a private copy of the small TSDB (Prometheus writes to its directory)."""
    tsdb, history = small_tsdb
    prometheus, _ = binaries()
    copy = tsdb.parent / f"copy-{len(list(tsdb.parent.glob('copy-*')))}" / "tsdb"
    shutil.copytree(tsdb, copy)
    with prometheus_server(prometheus, copy, **flags) as url:
        yield replace(history, url=url)


def quick_client(url: str) -> PrometheusClient:
    quick = RetryPolicy(max_attempts=2, base_delay_s=0.01, max_delay_s=0.02, max_elapsed_s=5)
    return PrometheusClient.from_url(url, timeout_s=20.0, retry=quick)


def usage_rows(sessions: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    columns = [c for c in UsageHourlyRow.__table__.columns if c.name != "id"]
    with sessions() as session:
        rows = session.execute(select(*columns).order_by(*columns[:2])).all()
    return [tuple(row) for row in rows]


def assert_every_service_matches(
    sessions: sessionmaker[Session], history: History, ids: list[int], report: CollectReport
) -> None:
    hours = history.days * 24
    assert (report.error, report.issues) == (None, ())
    assert report.rows_written == hours * len(ids)
    start = history.end - timedelta(hours=hours)
    for service_id, service in zip(ids, history.services, strict=True):
        with sessions() as session:
            window = load_usage(session, service_id, start=start, end=history.end)
        want = expected(service)
        np.testing.assert_allclose(window.cpu_used_mean_cores, want.cpu_used_mean_cores, rtol=1e-6)
        np.testing.assert_allclose(window.memory_used_max_gib, want.memory_used_max_gib, rtol=1e-9)
        np.testing.assert_allclose(window.latency_p95_ms, want.latency_p95_ms, rtol=1e-6)


def test_a_tiny_sample_limit_is_split_around_and_every_service_stored(
    sessions: sessionmaker[Session], small_tsdb: tuple[Path, History]
) -> None:
    with small_server(small_tsdb, max_samples=TINY_MAX_SAMPLES) as history:
        ids = catalogue(sessions, history)
        config = CollectConfig(max_samples_per_query=UNLIMITED, max_concurrent_queries=3)

        report = collect_usage(
            sessions, quick_client(history.url), now=history.end + SETTLE, config=config
        )

    assert report.splits > 0
    assert_every_service_matches(sessions, history, ids, report)


def test_the_sample_budget_sizes_batches_so_the_server_limit_is_met(
    sessions: sessionmaker[Session], small_tsdb: tuple[Path, History]
) -> None:
    with small_server(small_tsdb) as unlimited:
        ids = catalogue(sessions, unlimited)
        whole = collect_usage(sessions, quick_client(unlimited.url), now=unlimited.end + SETTLE)
    with sessions.begin() as session:
        session.execute(delete(UsageHourlyRow))
    with small_server(small_tsdb, max_samples=TINY_MAX_SAMPLES * 4) as limited:
        config = CollectConfig(max_samples_per_query=TINY_MAX_SAMPLES * 4)

        budgeted = collect_usage(
            sessions, quick_client(limited.url), now=limited.end + SETTLE, config=config
        )

    assert whole.splits == 0
    assert budgeted.queries > whole.queries  # smaller batches, more of them
    assert_every_service_matches(sessions, limited, ids, budgeted)


def test_three_queries_at_a_time_store_exactly_what_one_at_a_time_stores(
    sessions: sessionmaker[Session], prometheus_history: History
) -> None:
    catalogue(sessions, prometheus_history)
    now = prometheus_history.end + SETTLE
    client = quick_client(prometheus_history.url)
    serial = collect_usage(
        sessions, client, now=now, config=CollectConfig(max_concurrent_queries=1, batch_size=2)
    )
    stored_serially = usage_rows(sessions)
    with sessions.begin() as session:
        session.execute(delete(UsageHourlyRow))

    concurrent = collect_usage(
        sessions, client, now=now, config=CollectConfig(max_concurrent_queries=3, batch_size=2)
    )

    assert concurrent.issues == serial.issues == ()
    assert usage_rows(sessions) == stored_serially
    assert concurrent.resources == serial.resources
    assert concurrent.signals == serial.signals


def test_a_failing_batch_ends_the_job_partial_and_leaves_its_services_stale(
    settings: Settings,
    db_engine: Engine,
    sessions: sessionmaker[Session],
    prometheus_history: History,
) -> None:
    ids = catalogue(sessions, prometheus_history)
    web = next(i for i, s in zip(ids, prometheus_history.services, strict=True)
               if getattr(s, "namespace", None) == "web")  # fmt: skip
    job = next(job for job in default_jobs(60) if job.name == "collect_usage")
    now = prometheus_history.end + timedelta(minutes=20)
    older = prometheus_history.end - timedelta(days=prometheus_history.days)
    with sessions.begin() as session:  # what an earlier run stored for the service that fails
        insert_usage(session, make_usage(web, hours=24, start=older), source="prometheus")
    with fault_proxy(prometheus_history.url, fail_when='namespace="web"') as proxy:
        ctx = JobContext(settings, db_engine, sessions, load_catalog(), clock=lambda: now,
                         prometheus=quick_client(proxy.url))  # fmt: skip

        result = run_job(ctx, job)

    assert proxy.failed, "the fault was injected"
    assert result.status == "partial"
    shortfall = f"partial: {len(ids) - 1} of {len(ids)} services (failed); "
    assert (result.error or "").startswith(shortfall)
    with sessions() as session:
        latest = latest_usage_hours(session)
        run = session.scalars(select(JobRunRow)).one()
        status = job_statuses(session, ["collect_usage"], now=now)[0]
    assert latest[web] == older + timedelta(hours=23)  # its older data kept, now stale
    assert set(latest) == set(ids)
    assert {latest[i] for i in ids if i != web} == {prometheus_history.end - timedelta(hours=1)}
    assert (run.status, run.error, run.rows) == ("partial", result.error, result.rows)
    assert status.last_success is None
    assert status.last_error is not None
    assert status.last_error.status == "partial"
    assert (status.runs_24h, status.failures_24h, status.partial_24h) == (1, 0, 1)
    assert result.measures["services_failed"] == 1
    assert result.measures["http_requests"] > 0
