"""The HTTP edge against a real local server: retries, Retry-After, timeouts, 401, the breaker."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from data.connectors.billing_api import (
    BillingApiCircuitOpen,
    BillingApiTimeout,
    BillingApiUnavailable,
    CircuitBreaker,
    CredentialsInvalid,
    MalformedPage,
    RequestRejected,
)
from data.connectors.billing_api.client import retry_after
from data.connectors.resilience import RetryPolicy
from tests.connectors.billing_api.api import (
    KEY,
    PERIOD,
    Sleeps,
    client,
    item,
    page,
    query,
    requests_made,
)


def test_the_key_travels_in_the_authorization_header_only(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request(
        "/costs", query_string=query(), headers={"Authorization": f"Bearer {KEY}"}
    ).respond_with_json(page([item()]))

    fetched = client(httpserver).fetch_page(PERIOD)

    sent, _ = httpserver.log[0]
    assert len(fetched.rows) == 1
    assert KEY not in sent.url


def test_429_with_retry_after_waits_at_least_as_asked_then_succeeds(
    httpserver: HTTPServer,
) -> None:
    sleeps = Sleeps()
    httpserver.expect_ordered_request("/costs").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_ordered_request("/costs").respond_with_json(page([item()]))

    fetched = client(httpserver, sleeps=sleeps).fetch_page(PERIOD)

    assert len(fetched.rows) == 1
    assert requests_made(httpserver) == 2
    assert len(sleeps) == 1
    assert sleeps[0] >= 7


def test_a_retry_after_beyond_the_budget_gives_up_at_once(httpserver: HTTPServer) -> None:
    sleeps = Sleeps()
    httpserver.expect_request("/costs").respond_with_data(
        "", status=429, headers={"Retry-After": "3600"}
    )

    with pytest.raises(BillingApiUnavailable, match="HTTP 429"):
        client(httpserver, sleeps=sleeps).fetch_page(PERIOD)

    assert (requests_made(httpserver), sleeps) == (1, [])


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    date = format_datetime(now + timedelta(seconds=30), usegmt=True)

    seconds = [retry_after(v, now_s=now.timestamp) for v in ("12", date, "soon", "", None, "-3")]

    assert seconds == [12.0, 30.0, None, None, None, None]


def test_5xx_below_the_retry_budget_is_retried_to_success(httpserver: HTTPServer) -> None:
    sleeps = Sleeps()
    for _ in range(2):
        httpserver.expect_ordered_request("/costs").respond_with_data("", status=500)
    httpserver.expect_ordered_request("/costs").respond_with_json(page([item()]))

    fetched = client(httpserver, sleeps=sleeps).fetch_page(PERIOD)

    assert len(fetched.rows) == 1
    assert requests_made(httpserver) == 3
    assert all(0 <= s <= 0.02 for s in sleeps)  # jittered, capped


def test_5xx_beyond_the_retry_budget_is_a_clear_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/costs").respond_with_data("", status=503)

    with pytest.raises(BillingApiUnavailable, match=r"billing API at localhost:\d+: HTTP 503"):
        client(httpserver).fetch_page(PERIOD)

    assert requests_made(httpserver) == 3  # max_attempts, then no more


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_credentials_are_never_retried(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_request("/costs").respond_with_data("", status=status)

    with pytest.raises(CredentialsInvalid, match="credentials invalid"):
        client(httpserver).fetch_page(PERIOD)

    assert requests_made(httpserver) == 1


@pytest.fixture
def own_server() -> Iterator[HTTPServer]:
    """A server of the test's own: a handler still sleeping must not answer the next test."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


def test_a_response_slower_than_the_read_timeout_fails_within_a_bounded_time(
    own_server: HTTPServer,
) -> None:
    def slow(_request: Request) -> Response:
        time.sleep(1.0)
        return Response("{}", status=200)

    own_server.expect_request("/costs").respond_with_handler(slow)
    quick = client(own_server, read_timeout_s=0.2, retry=RetryPolicy(max_attempts=2))
    started = time.monotonic()

    with pytest.raises(BillingApiTimeout, match="timed out"):
        quick.fetch_page(PERIOD)

    assert time.monotonic() - started < 2.0  # two tries of ~0.2 s, not two of 1 s


def test_the_breaker_opens_after_repeated_failures_and_then_refuses_fast(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/costs").respond_with_data("", status=502)
    api = client(httpserver, fail_max=3)
    with pytest.raises(BillingApiUnavailable):
        api.fetch_page(PERIOD)
    seen = requests_made(httpserver)
    started = time.monotonic()

    with pytest.raises(BillingApiCircuitOpen, match="circuit open after 3 failures"):
        api.fetch_page(PERIOD)

    assert (seen, requests_made(httpserver)) == (3, 3)
    assert api.breaker.state == "open"
    assert time.monotonic() - started < 0.1


def test_a_half_open_probe_answered_with_a_4xx_closes_the_breaker(
    httpserver: HTTPServer,
) -> None:
    clock = {"now": 0.0}
    breaker = CircuitBreaker(fail_max=1, reset_timeout_s=60, clock=lambda: clock["now"])
    breaker.record_failure("down")
    clock["now"] = 61
    httpserver.expect_ordered_request("/costs").respond_with_data("", status=400)
    httpserver.expect_ordered_request("/costs").respond_with_json(page([item()]))
    api = client(httpserver, breaker=breaker)
    with pytest.raises(RequestRejected):
        api.fetch_page(PERIOD)

    fetched = api.fetch_page(PERIOD)

    assert len(fetched.rows) == 1
    assert breaker.state == "closed"


def test_a_redirect_is_not_followed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/costs").respond_with_data(
        "", status=302, headers={"Location": "http://elsewhere.invalid/steal"}
    )

    with pytest.raises(RequestRejected, match="redirects are not followed"):
        client(httpserver).fetch_page(PERIOD)

    assert requests_made(httpserver) == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>maintenance</html>", "not JSON"),
        (b'{"billing_period": "2026-10", "next_page_token": null}', "items"),
        (b'{"billing_period": "October", "items": []}', "billing_period"),
        (b'{"billing_period": "2026-10", "items": [1, 2]}', "items.0"),
    ],
)
def test_a_body_that_breaks_the_contract_is_malformed(
    httpserver: HTTPServer, body: bytes, reason: str
) -> None:
    httpserver.expect_request("/costs").respond_with_data(body, content_type="application/json")

    with pytest.raises(MalformedPage, match=reason):
        client(httpserver).fetch_page(PERIOD)

    assert requests_made(httpserver) == 1


def test_money_sent_as_json_numbers_keeps_every_digit(httpserver: HTTPServer) -> None:
    body = '{"billing_period": "2026-10", "items": [{"EffectiveCost": 0.12345678901234567891}]}'
    httpserver.expect_request("/costs").respond_with_data(body)

    fetched = client(httpserver).fetch_page(PERIOD)

    assert fetched.rows[0]["EffectiveCost"] == "0.12345678901234567891"


def test_the_key_never_reaches_logs_or_error_messages(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    httpserver.expect_ordered_request("/costs").respond_with_data("", status=500)
    httpserver.expect_ordered_request("/costs").respond_with_data(
        f'{{"error": "bad key {KEY}"}}', status=401
    )
    api = client(httpserver)

    with pytest.raises(CredentialsInvalid) as raised:
        api.fetch_page(PERIOD)

    assert "billing API request failed" in caplog.text
    assert KEY not in caplog.text
    assert KEY not in str(raised.value)
    assert KEY not in repr(api.__dict__)
