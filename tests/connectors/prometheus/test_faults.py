"""Prometheus faults: refused, hanging, 5xx, 401, partial answers. Nothing crashes, nothing is
written, the report says what went wrong and the breaker stops the hammering."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.prometheus import (
    CircuitBreaker,
    CollectReport,
    MalformedResponse,
    PrometheusAuthError,
    PrometheusCircuitOpen,
    PrometheusClient,
    PrometheusQueryError,
    PrometheusUnavailable,
    RetryPolicy,
    collect_usage,
)
from data.db import make_engine, make_sessions
from data.models import UsageHourlyRow
from data.repos.services import add_services
from data.repos.usage import insert_usage
from data.settings import Settings
from tests.connectors.prometheus.fake_server import Reply, fake_prometheus
from tests.factories import T0, make_new_service, make_usage
from tests.support.postgres import free_port

NOW = T0 + timedelta(hours=48, minutes=20)
FAST_RETRY = RetryPolicy(max_attempts=2, base_delay_s=0.01, max_delay_s=0.02, max_elapsed_s=5)
UNAVAILABLE = Reply(503, {"status": "error", "errorType": "timeout", "error": "query timed out"})
PARTIAL = Reply(
    200,
    {
        "status": "success",
        "warnings": ["partial response: store eu-1 unavailable"],
        "data": {"resultType": "matrix", "result": []},
    },
)


@pytest.fixture
def sessions(sqlite_template: Path, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """SQLite only: these tests are about the connector, not the dialect."""
    path = tmp_path / "tightrope.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(Settings(database_url=f"sqlite:///{path}", _env_file=None))
    yield make_sessions(engine)
    engine.dispose()


@pytest.fixture
def fleet(sessions: sessionmaker[Session]) -> list[int]:
    """Three k8s services, each with 24 stored hours (so 'unchanged' means something)."""
    drafts = [
        make_new_service(f"svc-{i}", platform="kubernetes",
                         telemetry_selector={"namespace": "pay", "container": f"c{i}"})
        for i in range(3)
    ]  # fmt: skip
    with sessions.begin() as session:
        ids = [s.id for s in add_services(session, drafts, now=T0)]
        for service_id in ids:
            insert_usage(session, make_usage(service_id, hours=24), source="demo")
    return ids


def client(url: str, *, fail_max: int = 3, timeout_s: float = 0.3) -> PrometheusClient:
    return PrometheusClient.from_url(
        url,
        timeout_s=timeout_s,
        connect_timeout_s=0.3,
        retry=FAST_RETRY,
        breaker=CircuitBreaker(fail_max=fail_max, reset_timeout_s=60),
    )


def rows(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(UsageHourlyRow)) or 0


def assert_nothing_written(report: CollectReport, sessions: sessionmaker[Session]) -> None:
    assert report.stale
    assert report.rows_written == 0
    assert rows(sessions) == 3 * 24


def test_connection_refused_opens_the_breaker_and_writes_nothing(
    sessions: sessionmaker[Session], fleet: list[int]
) -> None:
    prometheus = client(f"http://127.0.0.1:{free_port()}")

    report = collect_usage(sessions, prometheus, now=NOW)

    assert_nothing_written(report, sessions)
    assert report.circuit_open
    assert "connection failed" in (report.error or "")
    assert {i.kind for i in report.issues} <= {"failed", "skipped"}
    assert prometheus.breaker.state == "open"


def test_a_hanging_server_is_abandoned_within_the_timeout_budget(
    sessions: sessionmaker[Session], fleet: list[int]
) -> None:
    with fake_prometheus(Reply(hang_s=30)) as server:
        prometheus = client(server.url, fail_max=2)
        started = time.monotonic()

        report = collect_usage(sessions, prometheus, now=NOW)

        elapsed = time.monotonic() - started
    assert_nothing_written(report, sessions)
    assert "timed out" in (report.error or "")
    assert server.hits == 2  # one attempt + one retry, then the breaker is open
    assert elapsed < 3.0


def test_503_is_retried_then_the_breaker_stops_further_requests(
    sessions: sessionmaker[Session], fleet: list[int]
) -> None:
    with fake_prometheus(UNAVAILABLE) as server:
        prometheus = client(server.url, fail_max=3)

        report = collect_usage(sessions, prometheus, now=NOW)
        later = collect_usage(sessions, prometheus, now=NOW)

    assert_nothing_written(report, sessions)
    assert "HTTP 503" in (report.error or "") or "circuit open" in (report.error or "")
    assert server.hits == 3
    assert later.circuit_open
    assert later.queries == 0
    assert {i.kind for i in later.issues} == {"skipped"}


def test_401_is_not_retried_and_reports_credentials(
    sessions: sessionmaker[Session], fleet: list[int]
) -> None:
    with fake_prometheus(Reply(401, b"Unauthorized")) as server:
        prometheus = client(server.url, fail_max=5)

        report = collect_usage(sessions, prometheus, now=NOW)

    assert_nothing_written(report, sessions)
    assert "credentials rejected" in (report.error or "")
    assert server.hits == 1


def test_a_partial_answer_is_surfaced_and_not_stored(
    sessions: sessionmaker[Session], fleet: list[int]
) -> None:
    with fake_prometheus(PARTIAL) as server:
        report = collect_usage(sessions, client(server.url), now=NOW)

    assert_nothing_written(report, sessions)
    assert report.warnings == ("partial response: store eu-1 unavailable",)
    assert {i.kind for i in report.issues} == {"partial"}
    assert not report.circuit_open


def test_an_empty_answer_marks_services_without_data_but_not_stale(
    sessions: sessionmaker[Session], fleet: list[int]
) -> None:
    with fake_prometheus(Reply()) as server:
        report = collect_usage(sessions, client(server.url), now=NOW)

    assert report.rows_written == 0
    assert {i.kind for i in report.issues} == {"no_data"}
    assert not report.stale


def test_a_service_with_an_unusable_mapping_is_reported_and_the_rest_collected(
    sessions: sessionmaker[Session], fleet: list[int]
) -> None:
    broken = make_new_service("broken", telemetry_selector={"job": 'x"}', "pod": "p"})
    with sessions.begin() as session:
        add_services(session, [broken], now=T0)

    with fake_prometheus(Reply()) as server:
        report = collect_usage(sessions, client(server.url), now=NOW)

    kinds = {i.slug: i.kind for i in report.issues}
    assert kinds == {"broken": "invalid_mapping", "svc-0": "no_data", "svc-1": "no_data",
                     "svc-2": "no_data"}  # fmt: skip
    assert server.hits > 0


def test_a_flaky_server_succeeds_on_retry(
    sessions: sessionmaker[Session], fleet: list[int]
) -> None:
    with fake_prometheus(UNAVAILABLE, Reply()) as server:
        prometheus = client(server.url)

        result = prometheus.query("up", at=NOW)

    assert result.series == ()
    assert prometheus.stats.retries == 1
    assert prometheus.breaker.state == "closed"


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(200, b"<html>proxy login</html>"), MalformedResponse),
        (Reply(200, {"status": "success", "data": {"result": "nope"}}), MalformedResponse),
        (Reply(400, {"status": "error", "errorType": "bad_data", "error": "parse error"}),
         PrometheusQueryError),
        (Reply(401, b""), PrometheusAuthError),
        (UNAVAILABLE, PrometheusUnavailable),
    ],
)  # fmt: skip
def test_every_failure_is_a_typed_telemetry_error(reply: Reply, error: type[Exception]) -> None:
    with fake_prometheus(reply) as server, pytest.raises(error):
        client(server.url).query("up", at=NOW)


def test_a_rejected_query_does_not_count_against_the_breaker() -> None:
    bad = Reply(400, {"status": "error", "errorType": "bad_data", "error": "parse error"})
    with fake_prometheus(bad) as server:
        prometheus = client(server.url, fail_max=1)
        for _ in range(3):
            with pytest.raises(PrometheusQueryError):
                prometheus.query("up{", at=NOW)

    assert server.hits == 3
    assert prometheus.breaker.state == "closed"


def test_an_open_breaker_sends_nothing() -> None:
    with fake_prometheus(UNAVAILABLE) as server:
        prometheus = client(server.url, fail_max=1)
        with pytest.raises(PrometheusUnavailable):
            prometheus.query("up", at=NOW)

        with pytest.raises(PrometheusCircuitOpen):
            prometheus.query("up", at=NOW)

    assert server.hits == 1
