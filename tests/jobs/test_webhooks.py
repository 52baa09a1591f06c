"""Webhook delivery against a real loopback receiver, on SQLite and PostgreSQL: retries with the
configured backoff, exactly one 2xx per event after recovery, signatures, restarts, two pollers."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.db import make_sessions
from data.logs import configure_logging
from data.models import WebhookDeliveryRow
from data.outbox import ANOMALY_DETECTED, enqueue
from data.settings import Settings
from data.webhooks.delivery import RetryPolicy, claim_due, fan_out
from data.webhooks.endpoints import load_endpoints
from data.webhooks.sender import RoundReport
from jobs.context import JobContext
from jobs.webhooks import deliver_webhooks
from tests.support.webhook_receiver import Script, free_port, receiving

T0 = datetime(2026, 11, 20, 10, 17, tzinfo=UTC)
SECRET = "whsec-test-only"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_ctx(
    settings: Settings, engine: Engine, clock: Clock, url: str, **knobs: Any
) -> JobContext:
    configured = settings.model_copy(
        update={
            "webhook_urls": [url],
            "webhook_secret": knobs.pop("secret", None) or _secret(),
            "webhook_backoff_base_s": 10.0,
            "webhook_backoff_max_s": 40.0,
            "webhook_jitter_pct": 0.0,
            "webhook_max_attempts": 4,
            "webhook_timeout_s": 2.0,
            **knobs,
        }
    )
    return JobContext(configured, engine, make_sessions(engine), load_catalog(), clock=clock)


def _secret() -> SecretStr:
    return SecretStr(SECRET)


def add_events(sessions: sessionmaker[Session], count: int, now: datetime) -> None:
    with sessions.begin() as session:
        for n in range(count):
            data = {"service": f"svc-{n} <!channel>", "charge_date": "2026-11-19"}
            enqueue(session, ANOMALY_DETECTED, data, dedupe_key=f"test:{n}", now=now)


def deliveries(sessions: sessionmaker[Session]) -> list[WebhookDeliveryRow]:
    with sessions() as session:
        query = select(WebhookDeliveryRow).order_by(WebhookDeliveryRow.event_id)
        return list(session.scalars(query))


def verify(secret: str, header: str, body: bytes, *, now: datetime, tolerance_s: int = 300) -> bool:
    """The receiver's check, exactly as docs/webhooks.md documents it."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    fresh = abs(now.timestamp() - timestamp) <= tolerance_s
    return fresh and hmac.compare_digest(expected, fields["v1"])


def statuses(report: RoundReport | None) -> tuple[str, ...] | None:
    """What a round did to each delivery it attempted; None when it did not run."""
    return report.statuses if report is not None else None


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


def test_every_event_is_delivered_once_after_the_receiver_recovers(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session], clock: Clock
) -> None:
    add_events(sessions, 3, T0)
    script = Script()
    script.answers.extend(["500", "500", "500"])
    with receiving(script) as url:
        ctx = make_ctx(settings, db_engine, clock, url)
        first = deliver_webhooks(ctx)
        clock.advance(9)  # before the first backoff (10 s) ends: nothing is due
        early = deliver_webhooks(ctx)
        clock.advance(1)
        second = deliver_webhooks(ctx)

    assert statuses(first) == ("failed", "failed", "failed")
    assert statuses(early) == ()
    assert statuses(second) == ("delivered",) * 3
    assert sorted(script.accepted) == sorted(str(r.event_id) for r in deliveries(sessions))
    assert [(r.status, r.attempts, r.response_code) for r in deliveries(sessions)] == [
        ("delivered", 2, 200)
    ] * 3


def test_every_request_carries_a_signature_the_documented_check_accepts(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session], clock: Clock
) -> None:
    add_events(sessions, 2, T0)
    script = Script()
    with receiving(script) as url:
        deliver_webhooks(make_ctx(settings, db_engine, clock, url))

    assert len(script.received) == 2
    for request in script.received:
        header = request.headers["X-Tightrope-Signature"]
        assert verify(SECRET, header, request.body, now=T0)
        assert not verify("another-secret", header, request.body, now=T0)
        assert not verify(SECRET, header, request.body + b" ", now=T0)
        envelope = json.loads(request.body)
        assert envelope["id"] == request.headers["X-Tightrope-Event-Id"]
        assert set(envelope) == {"id", "kind", "occurred_at", "data"}
        assert SECRET not in request.body.decode()


def test_retries_follow_the_backoff_settings_then_give_up(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session], clock: Clock
) -> None:
    add_events(sessions, 1, T0)
    script = Script()
    script.answers.extend(["500"] * 10)
    seen = []
    with receiving(script) as url:
        ctx = make_ctx(settings, db_engine, clock, url)
        for _ in range(4):
            deliver_webhooks(ctx)
            (row,) = deliveries(sessions)
            seen.append((row.status, row.attempts, row.next_attempt_at - clock.now))
            clock.now = row.next_attempt_at
        deliver_webhooks(ctx)  # dead: never tried again

    lease = RetryPolicy.from_settings(ctx.settings).lease
    assert seen == [
        ("failed", 1, timedelta(seconds=10)),
        ("failed", 2, timedelta(seconds=20)),
        ("failed", 3, timedelta(seconds=40)),  # 80 s capped at webhook_backoff_max_s
        ("dead", 4, lease),  # the claim's lease, left as it was: nothing is due any more
    ]
    assert len(script.received) == 4
    assert deliveries(sessions)[0].last_error == "HTTP 500"


def test_a_refused_connection_is_retried_once_the_receiver_starts(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session], clock: Clock
) -> None:
    add_events(sessions, 2, T0)
    port = free_port()
    script = Script()
    ctx = make_ctx(settings, db_engine, clock, f"http://127.0.0.1:{port}/hooks/tightrope")
    refused = deliver_webhooks(ctx)
    errors = [row.last_error or "" for row in deliveries(sessions)]
    clock.advance(10)
    with receiving(script, port):
        recovered = deliver_webhooks(ctx)

    assert statuses(refused) == ("failed", "failed")
    assert all(error.startswith("ConnectError") for error in errors)
    assert statuses(recovered) == ("delivered", "delivered")
    assert sorted(script.accepted) == sorted(str(r.event_id) for r in deliveries(sessions))


def test_a_lost_2xx_is_the_one_duplicate_and_the_event_id_dedupes_it(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session], clock: Clock
) -> None:
    add_events(sessions, 1, T0)
    script = Script()
    script.answers.append("hang")  # reads the event, answers only after the sender gave up
    with receiving(script) as url:
        ctx = make_ctx(settings, db_engine, clock, url, webhook_timeout_s=0.5)
        timed_out = deliver_webhooks(ctx)
        script.release.set()
        clock.advance(10)
        resent = deliver_webhooks(ctx)

    assert statuses(timed_out) == ("failed",)
    assert statuses(resent) == ("delivered",)
    (row,) = deliveries(sessions)
    assert script.accepted == [str(row.event_id)] * 2  # at least once: sent twice
    assert len(set(script.accepted)) == 1  # one event for a receiver deduping on the id
    assert (row.attempts, row.status) == (2, "delivered")


def test_no_log_line_carries_the_endpoint_url(
    settings: Settings,
    db_engine: Engine,
    sessions: sessionmaker[Session],
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    add_events(sessions, 1, T0)
    script = Script()
    script.answers.append("500")
    configure_logging(settings)
    caplog.set_level(logging.DEBUG, logger="data")
    with receiving(script) as url:
        secret_url = url + "/T0/B0/path-token-secret?key=query-secret"
        ctx = make_ctx(settings, db_engine, clock, secret_url)
        deliver_webhooks(ctx)
        clock.advance(10)
        deliver_webhooks(ctx)

    assert "webhook url-" in caplog.text  # the rounds did log
    assert "path-token-secret" not in caplog.text
    assert "query-secret" not in caplog.text
    assert SECRET not in caplog.text


def test_a_restarted_sidecar_sends_what_a_dead_one_had_claimed(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session], clock: Clock
) -> None:
    add_events(sessions, 2, T0)
    script = Script()
    with receiving(script) as url:
        dead = make_ctx(settings, db_engine, clock, url)
        policy = RetryPolicy.from_settings(dead.settings)
        endpoints = load_endpoints(dead.settings)
        with dead.sessions.begin() as session:
            fan_out(session, endpoints, now=clock())
        claimed = claim_due(dead.sessions, [endpoints[0].name], policy, now=clock())
        # ... and the sidecar dies before sending. A new process, a new context:
        restarted_engine = create_engine(db_engine.url)
        try:
            restarted = make_ctx(settings, restarted_engine, clock, url)
            clock.advance(policy.lease.total_seconds() - 1)
            too_early = deliver_webhooks(restarted)
            clock.advance(1)
            picked_up = deliver_webhooks(restarted)
        finally:
            restarted_engine.dispose()

    assert len(claimed) == 2
    assert statuses(too_early) == ()
    assert statuses(picked_up) == ("delivered", "delivered")
    assert [(r.attempts, r.status) for r in deliveries(sessions)] == [(2, "delivered")] * 2


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_row_another_poller_holds_is_skipped_not_waited_for(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session], clock: Clock
) -> None:
    add_events(sessions, 3, T0)
    ctx = make_ctx(settings, db_engine, clock, "http://127.0.0.1:9/unused")
    endpoints = load_endpoints(ctx.settings)
    with sessions.begin() as session:
        fan_out(session, endpoints, now=T0)
    held_id = deliveries(sessions)[0].id
    # Without SKIP LOCKED the claim would wait for the held row: fail after 5 s, not hang.
    impatient = create_engine(db_engine.url, connect_args={"options": "-c lock_timeout=5000"})
    try:
        with db_engine.connect() as other:
            other.execute(
                text("SELECT id FROM webhook_delivery WHERE id = :id FOR UPDATE"), {"id": held_id}
            )
            claimed = claim_due(make_sessions(impatient), [endpoints[0].name],
                                RetryPolicy.from_settings(ctx.settings), now=T0)  # fmt: skip
            other.rollback()
    finally:
        impatient.dispose()

    assert sorted(c.id for c in claimed) == sorted(r.id for r in deliveries(sessions))[1:]
