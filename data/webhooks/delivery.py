"""The outbox's delivery loop: fan events out to endpoints, claim due deliveries, record results.

At least once: a delivery is claimed (attempts + 1, next attempt pushed a lease ahead) and
committed BEFORE it is sent, and marked delivered only after a 2xx. A sidecar that dies
mid-send leaves it claimed; once the lease passes, any sidecar sends it again (receivers
dedupe on X-Tightrope-Event-Id). Claims use SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL;
SQLite serializes writers and the sidecar's job lock admits one poller per database.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from data.clock import utc
from data.models import OutboxEventRow, WebhookDeliveryRow
from data.webhook_settings import WebhookSettings
from data.webhooks.endpoints import Endpoint
from data.webhooks.payloads import Event

PENDING, FAILED, DELIVERED, DEAD = "pending", "failed", "delivered", "dead"
DUE = (PENDING, FAILED)
# An endpoint configured later receives the events of the last week, not the whole history.
FAN_OUT_LOOKBACK = timedelta(days=7)
ERROR_MAX_CHARS = 500


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Attempts and backoff: attempt n failed → wait min(max, base·2^(n-1)), less up to
    jitter_pct % at random (spreads a thundering herd after an outage), then try again."""

    max_attempts: int = 10
    base_s: float = 30.0
    max_s: float = 3600.0
    jitter_pct: float = 20.0
    timeout_s: float = 5.0
    batch_size: int = 50

    @classmethod
    def from_settings(cls, settings: WebhookSettings) -> RetryPolicy:
        return cls(
            max_attempts=settings.webhook_max_attempts,
            base_s=settings.webhook_backoff_base_s,
            max_s=settings.webhook_backoff_max_s,
            jitter_pct=settings.webhook_jitter_pct,
            timeout_s=settings.webhook_timeout_s,
            batch_size=settings.webhook_batch_size,
        )

    @property
    def lease(self) -> timedelta:
        """How long a claim holds: a whole batch timing out, plus a margin."""
        return timedelta(seconds=self.timeout_s * self.batch_size + 60)

    def backoff_s(self, attempt: int, rng: random.Random) -> float:
        ceiling = min(self.max_s, self.base_s * 2.0 ** (attempt - 1))
        return ceiling * (1 - self.jitter_pct / 100 * rng.random())


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this process now owns until its lease ends."""

    id: int
    endpoint: str
    attempt: int
    event: Event


@dataclass(frozen=True, slots=True)
class Result:
    """One attempt: `status_code` None when no response came (refused, timed out)."""

    status_code: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def fan_out(session: Session, endpoints: Sequence[Endpoint], *, now: datetime) -> int:
    """A pending delivery for each recent event and each endpoint that wants its kind and has
    none yet; returns how many were added (a concurrent fan-out's duplicates are skipped)."""
    added = 0
    for endpoint in endpoints:
        delivered = exists().where(
            and_(
                WebhookDeliveryRow.event_id == OutboxEventRow.id,
                WebhookDeliveryRow.endpoint == endpoint.name,
            )
        )
        query = select(OutboxEventRow.id).where(
            OutboxEventRow.created_at >= utc(now) - FAN_OUT_LOOKBACK, ~delivered
        )
        if endpoint.kinds:  # in SQL: events it never wants are not read every round
            query = query.where(OutboxEventRow.kind.in_(sorted(endpoint.kinds)))
        ids = list(session.scalars(query.order_by(OutboxEventRow.id)))
        for event_id in ids:
            _add_delivery(session, event_id, endpoint, now=utc(now))
        added += len(ids)
    return added


def _add_delivery(session: Session, event_id: int, endpoint: Endpoint, *, now: datetime) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(WebhookDeliveryRow).values(
        event_id=event_id, endpoint=endpoint.name, url=endpoint.shown_url, status=PENDING,
        attempts=0, next_attempt_at=now, created_at=now,
    )  # fmt: skip
    session.execute(statement.on_conflict_do_nothing(index_elements=["event_id", "endpoint"]))


def claim_due(
    sessions: sessionmaker[Session], names: Sequence[str], policy: RetryPolicy, *, now: datetime
) -> list[Claimed]:
    """Up to a batch of due deliveries to the configured endpoints, oldest due first, claimed
    and committed: attempts + 1 and the next attempt a lease ahead, in case we die sending."""
    now = utc(now)
    query = (
        select(WebhookDeliveryRow, OutboxEventRow)
        .join(OutboxEventRow, OutboxEventRow.id == WebhookDeliveryRow.event_id)
        .where(
            WebhookDeliveryRow.status.in_(DUE),
            WebhookDeliveryRow.next_attempt_at <= now,
            WebhookDeliveryRow.endpoint.in_(list(names)),
        )
        .order_by(WebhookDeliveryRow.next_attempt_at, WebhookDeliveryRow.id)
        .limit(policy.batch_size)
        .with_for_update(skip_locked=True, of=WebhookDeliveryRow)  # SQLite ignores it
    )
    with sessions.begin() as session:
        claimed = []
        for delivery, event in session.execute(query):
            delivery.attempts += 1
            delivery.next_attempt_at = now + policy.lease
            occurred = Event(event.id, event.kind, event.created_at, event.payload)
            claimed.append(Claimed(delivery.id, delivery.endpoint, delivery.attempts, occurred))
        return claimed


def record_result(
    sessions: sessionmaker[Session],
    claimed: Claimed,
    result: Result,
    policy: RetryPolicy,
    *,
    now: datetime,
    rng: random.Random,
) -> str:
    """Delivered on a 2xx; otherwise failed with its next attempt after the backoff, or dead
    after `max_attempts`. Returns the new status."""
    now = utc(now)
    with sessions.begin() as session:
        row = session.get(WebhookDeliveryRow, claimed.id)
        if row is None:  # its event was pruned meanwhile
            return DEAD
        row.response_code = result.status_code
        if result.ok:
            row.status, row.delivered_at, row.last_error = DELIVERED, now, None
        elif claimed.attempt >= policy.max_attempts:
            row.status, row.last_error = DEAD, _error(result)
        else:
            delay = policy.backoff_s(claimed.attempt, rng)
            row.status, row.last_error = FAILED, _error(result)
            row.next_attempt_at = now + timedelta(seconds=delay)
        return row.status


def _error(result: Result) -> str:
    text = result.error or f"HTTP {result.status_code}"
    return text[:ERROR_MAX_CHARS]
