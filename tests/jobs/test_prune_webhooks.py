"""Outbox retention (SQLite and PostgreSQL): settled events past the retention go with their
delivery log; anything still to send, or that ended recently, stays. Time is the injected clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from data.models import OutboxEventRow, WebhookDeliveryRow
from data.outbox import ANOMALY_DETECTED, enqueue
from data.settings import Settings
from data.webhooks.delivery import DEAD, DELIVERED, FAILED, PENDING
from data.webhooks.retention import prune_outbox
from jobs.definitions import Job, default_jobs
from jobs.runner import run_job
from jobs.webhooks import deliver_webhooks
from tests.jobs.test_webhooks import T0, Clock, add_events, deliveries, make_ctx
from tests.support.webhook_receiver import Script, receiving

DAY = timedelta(days=1)
RETENTION = timedelta(days=30)


def _job() -> Job:
    return next(job for job in default_jobs(60) if job.name == "prune_webhooks")


def _event(session: Session, key: str, created: datetime, *rows: tuple[str, datetime]) -> None:
    """An event created at `created` with one delivery per (status, when): when it was
    delivered, or (dead, pending, failed) its next_attempt_at."""
    enqueue(session, ANOMALY_DETECTED, {"key": key}, dedupe_key=key, now=created)
    event_id = session.scalar(select(OutboxEventRow.id).where(OutboxEventRow.dedupe_key == key))
    for n, (status, when) in enumerate(rows):
        session.add(
            WebhookDeliveryRow(
                event_id=event_id, endpoint=f"hook-{n}", url="https://example.test/hooks/…",
                status=status, attempts=1, next_attempt_at=when, created_at=created,
                delivered_at=when if status == DELIVERED else None,
            )
        )  # fmt: skip


def _kept(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(OutboxEventRow.dedupe_key).order_by(OutboxEventRow.id)))


def _delivery_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(WebhookDeliveryRow)) or 0


def test_only_settled_events_past_the_retention_are_pruned(
    sessions: sessionmaker[Session],
) -> None:
    old = T0 - 40 * DAY
    with sessions.begin() as session:
        _event(session, "delivered-long-ago", old, (DELIVERED, old + DAY))
        _event(session, "delivered-and-dead-long-ago", old, (DELIVERED, old), (DEAD, old + DAY))
        _event(session, "never-fanned-out", old)
        _event(session, "dead-recently", old, (DEAD, T0 - 10 * DAY))  # retried late, died again
        _event(session, "retried-pending", old, (DELIVERED, old), (PENDING, T0 - 35 * DAY))
        _event(session, "failing", old, (FAILED, T0 - 39 * DAY))
        _event(session, "delivered-recently", T0 - 20 * DAY, (DELIVERED, T0 - 20 * DAY))
        _event(session, "delivered-on-the-cutoff", old, (DELIVERED, T0 - RETENTION))

    pruned = prune_outbox(sessions, now=T0, retention=RETENTION)

    assert (pruned.events, pruned.deliveries) == (3, 3)
    assert _kept(sessions) == [
        "dead-recently", "retried-pending", "failing", "delivered-recently",
        "delivered-on-the-cutoff",
    ]  # fmt: skip
    assert _delivery_count(sessions) == 6  # a kept event keeps every delivery it has
    assert prune_outbox(sessions, now=T0, retention=RETENTION).rows == 0


def test_a_short_retention_still_keeps_what_fan_out_may_give_a_new_endpoint(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        _event(session, "three-days-old", T0 - 3 * DAY, (DELIVERED, T0 - 3 * DAY))
        _event(session, "eight-days-old", T0 - 8 * DAY, (DELIVERED, T0 - 8 * DAY))

    pruned = prune_outbox(sessions, now=T0, retention=DAY)

    assert (pruned.events, _kept(sessions)) == (1, ["three-days-old"])


def test_more_events_than_a_batch_are_all_pruned(sessions: sessionmaker[Session]) -> None:
    old = T0 - 40 * DAY
    with sessions.begin() as session:
        for n in range(1_203):
            _event(session, f"e{n}", old, (DELIVERED, old))

    pruned = prune_outbox(sessions, now=T0, retention=RETENTION)

    assert (pruned.events, pruned.deliveries) == (1_203, 1_203)
    assert _kept(sessions) == []


def test_the_sidecar_job_prunes_what_it_delivered_once_the_retention_passed(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    clock = Clock(T0)
    add_events(sessions, 3, T0)
    with receiving(Script()) as url:
        ctx = make_ctx(settings, db_engine, clock, url, webhook_retention_days=30)
        deliver_webhooks(ctx)
    assert {row.status for row in deliveries(sessions)} == {DELIVERED}

    clock.now = T0 + RETENTION - timedelta(minutes=1)
    early = run_job(ctx, _job(), now=True)
    clock.now = T0 + RETENTION + timedelta(hours=1)
    due = run_job(ctx, _job(), now=True)

    assert (early.status, early.rows) == ("success", 0)
    assert (due.status, due.rows) == ("success", 6)  # 3 events + 3 deliveries
    assert (_kept(sessions), deliveries(sessions)) == ([], [])
