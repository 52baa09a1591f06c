"""Sample-budget arithmetic, batch cutting and splitting on the sample limit, without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.connectors.prometheus import fetch
from data.connectors.prometheus.batches import Work, cut
from data.connectors.prometheus.budget import Shape, estimate_samples, is_sample_limit, plan
from data.connectors.prometheus.client import PrometheusClient, QueryResult
from data.connectors.prometheus.mapping import TelemetryMapping, TelemetryTarget
from data.connectors.prometheus.resilience import CircuitBreaker
from data.errors import PrometheusSampleLimit
from tests.connectors.prometheus.fake_server import Reply, fake_prometheus

# 10 pods scraped every 30 s: 10 x 120 x 2 = 2,400 samples per service-hour.
TEN_PODS = Shape(series_per_service=10, scrape_interval_s=30)


def target(i: int, container: str | None = None) -> TelemetryTarget:
    raw = {"namespace": "pay", "container": container or f"c{i:04d}"}
    return TelemetryTarget(i, f"svc-{i}", TelemetryMapping.parse(raw))


def test_samples_grow_with_services_hours_and_scrape_rate() -> None:
    assert estimate_samples(TEN_PODS, services=1, hours=1) == 2 * 2_400
    assert estimate_samples(TEN_PODS, services=50, hours=335) == 50 * 336 * 2_400


def test_a_two_week_window_gets_the_largest_batch_that_fits_whole() -> None:
    sized = plan(TEN_PODS, hours=336, max_samples=20_000_000, max_services=50, max_points=11_000)

    assert sized.chunk_hours == 336
    assert sized.services == 20_000_000 // (2_400 * 337)  # 24


def test_an_hourly_run_is_capped_by_the_batch_size_not_the_budget() -> None:
    sized = plan(TEN_PODS, hours=2, max_samples=20_000_000, max_services=50, max_points=11_000)

    assert (sized.services, sized.chunk_hours) == (50, 2)


def test_when_one_service_cannot_read_the_window_it_is_cut_into_chunks() -> None:
    sized = plan(TEN_PODS, hours=336, max_samples=240_000, max_services=50, max_points=11_000)

    assert (sized.services, sized.chunk_hours) == (1, 99)  # 100 service-hours, 1 lookback


def test_a_budget_below_one_service_hour_still_asks_for_one_hour() -> None:
    sized = plan(TEN_PODS, hours=336, max_samples=10, max_services=50, max_points=11_000)

    assert (sized.services, sized.chunk_hours) == (1, 1)


@given(
    series=st.floats(0.5, 5_000),
    interval_s=st.floats(1, 600),
    hours=st.integers(1, 2_000),
    max_samples=st.integers(1_000, 10**9),
    max_services=st.integers(1, 200),
)
def test_a_plan_fits_the_budget_unless_one_service_hour_does_not(
    series: float, interval_s: float, hours: int, max_samples: int, max_services: int
) -> None:
    shape = Shape(series, interval_s)

    sized = plan(shape, hours=hours, max_samples=max_samples, max_services=max_services,
                 max_points=11_000)  # fmt: skip

    assert 1 <= sized.services <= max_services
    assert 1 <= sized.chunk_hours <= hours
    samples = estimate_samples(shape, services=sized.services, hours=sized.chunk_hours)
    assert samples <= max_samples or (sized.services, sized.chunk_hours) == (1, 1)


@pytest.mark.parametrize(
    ("message", "limit"),
    [
        ("HTTP 422 execution: query processing would load too many samples into memory", True),
        ("error when executing query: cannot select more than -search.maxSamplesPerQuery", True),
        ("HTTP 503 timeout: query timed out in expression evaluation", False),
        ("HTTP 400 bad_data: parse error", False),
    ],
)
def test_sample_limit_errors_are_told_apart(message: str, limit: bool) -> None:
    assert is_sample_limit(message) is limit


def test_batches_are_cut_by_count() -> None:
    targets = [target(i) for i in range(7)]

    batches = cut(targets, max_services=3, max_regex_chars=10_000, http=False)

    assert [len(b) for b in batches] == [3, 3, 1]


def test_batches_are_cut_before_the_alternation_grows_too_long() -> None:
    targets = [target(i, container="x" * 40) for i in range(5)]  # 41 characters each

    batches = cut(targets, max_services=50, max_regex_chars=100, http=False)

    assert [len(b) for b in batches] == [2, 2, 1]


def test_escaping_counts_against_the_alternation_length() -> None:
    dotted = [target(i, container="." * 30) for i in range(3)]  # "\\." each: 61 characters

    batches = cut(dotted, max_services=50, max_regex_chars=100, http=False)

    assert [len(b) for b in batches] == [1, 1, 1]


class LimitedPrometheus:
    """Stands in for PrometheusClient in fetch.run: refuses queries over `limit` service-hours
    (services counted from the alternation) like Prometheus's --query.max-samples."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.sent: list[tuple[int, int]] = []  # (services, hours) of each answered query
        self.breaker = CircuitBreaker()

    def query_range(
        self, promql: str, *, start: datetime, end: datetime, step_s: int
    ) -> QueryResult:
        services = promql.split("container=", 1)[1].split('"')[1].count("|") + 1
        hours = int((end - start) / timedelta(hours=1)) + 1
        if services * hours > self.limit:
            raise PrometheusSampleLimit("HTTP 422 too many samples")
        self.sent.append((services, hours))
        return QueryResult((), ())

    def query(self, promql: str, *, at: datetime) -> QueryResult:
        return QueryResult((), ())


def ten_hours_of(count: int) -> Work:
    end = datetime(2026, 10, 1, tzinfo=UTC)
    members = tuple(target(i) for i in range(count))
    return Work(members, False, end - timedelta(hours=10), end, chunk_hours=10)


def test_a_refused_batch_is_halved_then_one_service_s_span_is_halved() -> None:
    prometheus = LimitedPrometheus(limit=5)

    outcome = fetch.run(ten_hours_of(4), cast(PrometheusClient, prometheus), fetch.Stop(),
                        store_partial=False)  # fmt: skip

    assert (outcome.issue, outcome.failed) == (None, {})
    assert set(prometheus.sent) == {(1, 5)}  # 4 services x 10 h → … → 1 service x 5 h
    assert len(prometheus.sent) == 4 * 2 * 4  # services x halves x range queries


def test_a_service_too_big_for_one_hour_fails_alone() -> None:
    prometheus = LimitedPrometheus(limit=0)

    outcome = fetch.run(ten_hours_of(2), cast(PrometheusClient, prometheus), fetch.Stop(),
                        store_partial=False)  # fmt: skip

    assert outcome.issue is None
    assert sorted(outcome.failed) == [0, 1]
    assert "too many samples even alone" in outcome.failed[0]


@pytest.mark.parametrize(
    "body",
    [
        {"status": "error", "errorType": "execution",
         "error": "query processing would load too many samples into memory in query execution"},
        {"status": "error", "errorType": "422",
         "error": f'error when executing query="{"x" * 2_000}": cannot select more than '
                  "-search.maxSamplesPerQuery=1000000 samples"},
    ],
)  # fmt: skip
def test_a_422_for_too_many_samples_is_its_own_error(body: dict[str, str]) -> None:
    with fake_prometheus(Reply(422, body)) as server:
        client = PrometheusClient.from_url(server.url, timeout_s=5)
        with pytest.raises(PrometheusSampleLimit):
            client.query("up", at=datetime(2026, 10, 1, tzinfo=UTC))
