"""The same collection against a real VictoriaMetrics holding the Prometheus tier's history.

One real difference, checked exactly rather than hidden in a tolerance: VictoriaMetrics'
`rate(x[1h])` starts from the last sample *before* the window and does not extrapolate, where
Prometheus extrapolates the window's own samples to its edges. With samples at hh:mm:30 every
5 minutes, the hour ending at t then covers (t - 1h - 270 s, t - 270 s]: 7.5 % of the previous
hour's level mixes into each hourly rate (docs/decisions/017-production-prometheus.md).
Gauges (max_over_time), ratios of two rates, requests, limits and signals agree exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.prometheus import PrometheusClient, collect_usage
from data.repos.usage import load_usage
from tests.support.prometheus import History
from tests.support.prometheus_catalogue import catalogue
from tests.support.prometheus_history import (
    OFFSET_S,
    STEP_S,
    Expected,
    Floats,
    K8sService,
    NodeService,
    Service,
    _cdf,
    demo_services,
    expected,
    histogram_quantile,
    write_openmetrics,
)
from tests.support.victoria_metrics import binary, import_openmetrics, victoria_metrics_server

pytestmark = pytest.mark.victoriametrics
# The Prometheus tier's history: same generator, same fleet, same 14 days.
END = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 14
SETTLE = timedelta(minutes=15)
# Share of each hourly rate VictoriaMetrics takes from the hour before: the gap between the
# previous hour's last sample (hh:55:30) and the hour boundary.
PRIOR_WEIGHT = (STEP_S - OFFSET_S) / 3600


@pytest.fixture(scope="module")
def victoria_history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    """VictoriaMetrics on a free loopback port with the history imported and queryable."""
    executable = binary()
    base = tmp_path_factory.mktemp("victoria-metrics")
    services = demo_services(DAYS * 24)
    files = write_openmetrics(services, start=END - timedelta(days=DAYS), out_dir=base / "om")
    with victoria_metrics_server(executable, base / "data") as url:
        import_openmetrics(url, files)
        yield History(url, services, END, DAYS)


def mixed(hourly: Floats) -> Floats:
    """An hourly rate as VictoriaMetrics computes it from per-hour constant levels."""
    previous = np.concatenate([[hourly[0]], hourly[:-1]])
    return PRIOR_WEIGHT * previous + (1 - PRIOR_WEIGHT) * hourly


def expected_without_extrapolation(service: Service) -> Expected:
    """`expected()` with every counter rate mixed as above (gauges and ratios unchanged)."""
    want = expected(service)
    cpu = service.busy_cores if isinstance(service, NodeService) else service.cpu_cores.sum(0)
    rps, latency = want.requests_per_s, want.latency_p95_ms
    if isinstance(service, K8sService) and service.rps is not None:
        assert service.busy is not None
        buckets = service.rps[:, None] * np.array([_cdf(b) for b in service.busy])
        rps = mixed(service.rps)
        latency = 1000.0 * np.array([histogram_quantile(0.95, row) for row in mixed_rows(buckets)])
    return Expected(
        mixed(cpu), want.cpu_p95_low, want.cpu_p95_high, want.memory_used_max_gib, rps,
        latency, want.error_rate_pct,
    )  # fmt: skip


def mixed_rows(per_hour: Floats) -> Floats:
    previous = np.vstack([per_hour[:1], per_hour[:-1]])
    return PRIOR_WEIGHT * previous + (1 - PRIOR_WEIGHT) * per_hour


def test_fourteen_days_of_every_service_match_the_generated_shapes(
    sessions: sessionmaker[Session], victoria_history: History
) -> None:
    ids = catalogue(sessions, victoria_history)
    client = PrometheusClient.from_url(victoria_history.url, timeout_s=20.0)

    report = collect_usage(sessions, client, now=victoria_history.end + SETTLE)

    assert (report.error, report.issues, report.warnings) == (None, (), ())
    hours = DAYS * 24
    assert report.rows_written == hours * len(ids)
    for service_id, service in zip(ids, victoria_history.services, strict=True):
        with sessions() as session:
            window = load_usage(session, service_id, start=END - timedelta(hours=hours), end=END)
        want = expected_without_extrapolation(service)
        np.testing.assert_allclose(window.cpu_used_mean_cores, want.cpu_used_mean_cores, rtol=1e-6)
        np.testing.assert_allclose(window.memory_used_max_gib, want.memory_used_max_gib, rtol=1e-9)
        np.testing.assert_allclose(window.requests_per_s, want.requests_per_s, rtol=1e-6)
        np.testing.assert_allclose(window.latency_p95_ms, want.latency_p95_ms, rtol=1e-6)
        np.testing.assert_allclose(window.error_rate_pct, want.error_rate_pct, rtol=1e-6)
        assert np.all(window.cpu_used_p95_cores >= want.cpu_p95_low * (1 - 1e-6))
        assert np.all(window.cpu_used_p95_cores <= want.cpu_p95_high * (1 + 1e-6))


@pytest.mark.prometheus
def test_where_levels_hold_both_backends_agree_and_at_a_step_they_differ_by_its_share(
    victoria_history: History, prometheus_history: History
) -> None:
    # web/api steps between weekday (3.6 cores) and weekend (0.9) levels.
    promql = 'sum(rate(container_cpu_usage_seconds_total{namespace="web",container="api"}[1h]))'
    start = END - timedelta(days=DAYS) + timedelta(hours=1)

    def hourly(url: str) -> Floats:
        result = PrometheusClient.from_url(url, timeout_s=20.0).query_range(
            promql, start=start, end=END, step_s=3600
        )
        return result.series[0].values

    victoria, prometheus = hourly(victoria_history.url), hourly(prometheus_history.url)

    steps = np.flatnonzero(np.diff(prometheus)) + 1
    assert len(steps) > 0
    np.testing.assert_allclose(np.delete(victoria, steps), np.delete(prometheus, steps))
    np.testing.assert_allclose(
        victoria[steps] - prometheus[steps],
        PRIOR_WEIGHT * (prometheus[steps - 1] - prometheus[steps]),
    )


def test_requests_limits_and_safety_signals_are_reported(
    sessions: sessionmaker[Session], victoria_history: History
) -> None:
    ids = catalogue(sessions, victoria_history)
    by_container = {
        s.container: sid
        for sid, s in zip(ids, victoria_history.services, strict=True)
        if isinstance(s, K8sService)
    }
    client = PrometheusClient.from_url(victoria_history.url, timeout_s=20.0)

    report = collect_usage(sessions, client, now=victoria_history.end + SETTLE)

    spec = report.resources[by_container["a.b"]]
    assert (spec.cpu_request_cores, spec.cpu_limit_cores) == (0.5, 1.0)
    assert (spec.memory_request_gib, spec.memory_limit_gib) == (0.5, 1.0)
    assert report.signals[by_container["a.b"]].throttled_ratio_max == pytest.approx(0.2, rel=1e-6)
    assert report.signals[by_container["axb"]].oom_killed_containers == 1


def test_a_second_run_fetches_only_new_hours(
    sessions: sessionmaker[Session], victoria_history: History
) -> None:
    catalogue(sessions, victoria_history)
    client = PrometheusClient.from_url(victoria_history.url, timeout_s=20.0)
    collect_usage(sessions, client, now=END - timedelta(hours=5) + SETTLE)

    again = collect_usage(sessions, client, now=END - timedelta(hours=5) + SETTLE)
    catch_up = collect_usage(sessions, client, now=END + SETTLE)

    services = len(victoria_history.services)
    assert (again.rows_written, again.queries) == (0, 0)
    assert catch_up.rows_written == 5 * services
