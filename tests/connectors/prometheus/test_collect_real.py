"""Collecting from a real, backfilled Prometheus stores exactly the generated hourly shapes."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.prometheus import CollectConfig, PrometheusClient, collect_usage
from data.models import UsageHourlyRow
from data.repos.usage import load_usage
from tests.support.prometheus import History
from tests.support.prometheus_catalogue import catalogue
from tests.support.prometheus_history import K8sService, expected

pytestmark = pytest.mark.prometheus
SETTLE = timedelta(minutes=15)  # `now` a little after the last whole hour


def client_for(history: History) -> PrometheusClient:
    return PrometheusClient.from_url(history.url, timeout_s=20.0)


def stored_rows(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(UsageHourlyRow)) or 0


def test_fourteen_days_of_every_service_match_the_generated_shapes(
    sessions: sessionmaker[Session], prometheus_history: History
) -> None:
    ids = catalogue(sessions, prometheus_history)

    report = collect_usage(
        sessions, client_for(prometheus_history), now=prometheus_history.end + SETTLE
    )

    assert (report.error, report.issues, report.warnings) == (None, (), ())
    hours = prometheus_history.days * 24
    assert report.rows_written == hours * len(ids)
    start = prometheus_history.end - timedelta(hours=hours)
    for service_id, service in zip(ids, prometheus_history.services, strict=True):
        with sessions() as session:
            window = load_usage(session, service_id, start=start, end=prometheus_history.end)
        want = expected(service)
        assert window.points == hours
        np.testing.assert_allclose(window.cpu_used_mean_cores, want.cpu_used_mean_cores, rtol=1e-6)
        np.testing.assert_allclose(window.memory_used_max_gib, want.memory_used_max_gib, rtol=1e-9)
        np.testing.assert_allclose(window.requests_per_s, want.requests_per_s, rtol=1e-6)
        np.testing.assert_allclose(window.latency_p95_ms, want.latency_p95_ms, rtol=1e-6)
        np.testing.assert_allclose(window.error_rate_pct, want.error_rate_pct, rtol=1e-6)
        # p95 of 5-minute rates may straddle the previous hour; it stays between the two levels.
        assert np.all(window.cpu_used_p95_cores >= want.cpu_p95_low * (1 - 1e-6))
        assert np.all(window.cpu_used_p95_cores <= want.cpu_p95_high * (1 + 1e-6))


def test_requests_limits_and_safety_signals_are_reported(
    sessions: sessionmaker[Session], prometheus_history: History
) -> None:
    ids = catalogue(sessions, prometheus_history)
    by_container = {
        s.container: sid
        for sid, s in zip(ids, prometheus_history.services, strict=True)
        if isinstance(s, K8sService)
    }

    report = collect_usage(
        sessions, client_for(prometheus_history), now=prometheus_history.end + SETTLE
    )

    spec = report.resources[by_container["a.b"]]
    assert (spec.cpu_request_cores, spec.cpu_limit_cores) == (0.5, 1.0)
    assert (spec.memory_request_gib, spec.memory_limit_gib) == (0.5, 1.0)
    throttled = report.signals[by_container["a.b"]].throttled_ratio_max
    assert throttled == pytest.approx(0.2, rel=1e-6)
    assert report.signals[by_container["axb"]].oom_killed_containers == 1
    assert report.signals[by_container["a.b"]].oom_killed_containers == 0


def test_a_second_run_fetches_only_new_hours_and_writes_nothing_twice(
    sessions: sessionmaker[Session], prometheus_history: History
) -> None:
    catalogue(sessions, prometheus_history)
    client = client_for(prometheus_history)
    end = prometheus_history.end
    first = collect_usage(sessions, client, now=end - timedelta(hours=5) + SETTLE)

    again = collect_usage(sessions, client, now=end - timedelta(hours=5) + SETTLE)
    catch_up = collect_usage(sessions, client, now=end + SETTLE)

    services = len(prometheus_history.services)
    assert (again.rows_written, again.queries, again.up_to_date) == (0, 0, services)
    assert catch_up.rows_written == 5 * services
    assert stored_rows(sessions) == first.rows_written + 5 * services


def test_long_windows_are_split_so_no_call_exceeds_the_point_cap(
    sessions: sessionmaker[Session], prometheus_history: History
) -> None:
    ids = catalogue(sessions, prometheus_history)
    whole = collect_usage(
        sessions, client_for(prometheus_history), now=prometheus_history.end + SETTLE
    )
    with sessions() as session:
        before = load_usage(session, ids[0], start=prometheus_history.end - timedelta(days=14),
                            end=prometheus_history.end)  # fmt: skip
        session.query(UsageHourlyRow).delete()
        session.commit()

    split = collect_usage(
        sessions,
        client_for(prometheus_history),
        now=prometheus_history.end + SETTLE,
        config=CollectConfig(max_points_per_query=100),
    )

    assert split.rows_written == whole.rows_written
    assert split.queries > whole.queries  # 336 hours / 100 points: 4 calls per range query
    with sessions() as session:
        after = load_usage(session, ids[0], start=prometheus_history.end - timedelta(days=14),
                           end=prometheus_history.end)  # fmt: skip
    np.testing.assert_array_equal(after.cpu_used_mean_cores, before.cpu_used_mean_cores)
