"""Outbox retention: settled events older than TIGHTROPE_WEBHOOK_RETENTION_DAYS are deleted.

An event goes with its deliveries, never one delivery alone: fan-out adds a delivery for every
recent event an endpoint has none for, so a lone deleted delivery would be sent again. An event
is settled when every delivery of it is delivered or dead, and each of those ended before the
cut-off; one pending or failed delivery (still to be sent, or retried by an admin) keeps it.
Events younger than the fan-out lookback are kept whatever the retention: a new endpoint may
still be given them. An event no endpoint ever took (none configured) is settled too, once past
both: nothing can send it any more, and keeping it would grow the table forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, exists, or_, select
from sqlalchemy.orm import Session, sessionmaker

from data.clock import utc
from data.models import OutboxEventRow, WebhookDeliveryRow
from data.webhooks.delivery import DEAD, DELIVERED, FAN_OUT_LOOKBACK

BATCH = 500  # events per transaction: short locks, bounded IN lists


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one pruning deleted."""

    events: int
    deliveries: int

    @property
    def rows(self) -> int:
        return self.events + self.deliveries


def prune_outbox(sessions: sessionmaker[Session], *, now: datetime, retention: timedelta) -> Pruned:
    """Delete settled events (module docstring) and their deliveries, in batches."""
    cutoff = utc(now) - retention
    created_before = utc(now) - max(retention, FAN_OUT_LOOKBACK)
    events = deliveries = 0
    while True:
        with sessions.begin() as session:
            batch = _prune_batch(session, cutoff, created_before)
        events, deliveries = events + batch.events, deliveries + batch.deliveries
        if batch.events < BATCH:  # a short batch (or one a concurrent retry kept) is the last
            return Pruned(events, deliveries)


def _prune_batch(session: Session, cutoff: datetime, created_before: datetime) -> Pruned:
    """One batch. Both DELETEs repeat the conditions: a retry committed after the SELECT
    (PostgreSQL re-reads a row another transaction changed) keeps its delivery and event."""
    prunable = and_(OutboxEventRow.created_at < created_before, ~_unsettled(cutoff))
    ids = list(
        session.scalars(
            select(OutboxEventRow.id).where(prunable).order_by(OutboxEventRow.id).limit(BATCH)
        )
    )
    if not ids:
        return Pruned(0, 0)
    gone = session.execute(
        delete(WebhookDeliveryRow).where(
            WebhookDeliveryRow.event_id.in_(ids), ~_delivery_unsettled(cutoff)
        )
    )
    events = session.execute(delete(OutboxEventRow).where(OutboxEventRow.id.in_(ids), prunable))
    return Pruned(events.rowcount, gone.rowcount)  # type: ignore[attr-defined]


def _unsettled(cutoff: datetime) -> ColumnElement[bool]:
    """The event has a delivery still to send, or one that ended after the cut-off."""
    return exists().where(
        WebhookDeliveryRow.event_id == OutboxEventRow.id, _delivery_unsettled(cutoff)
    )


def _delivery_unsettled(cutoff: datetime) -> ColumnElement[bool]:
    """Pending or failed (any status but delivered and dead), delivered at or after the
    cut-off, or dead with its last attempt at or after it. Written without NOT over a
    nullable column: NOT (NULL < x) is NULL, which would read as "settled"."""
    return or_(
        WebhookDeliveryRow.status.not_in((DELIVERED, DEAD)),
        and_(
            WebhookDeliveryRow.status == DELIVERED,
            or_(
                WebhookDeliveryRow.delivered_at.is_(None), WebhookDeliveryRow.delivered_at >= cutoff
            ),
        ),
        # A dead row's next_attempt_at is its last claim's lease end: a little after the attempt.
        and_(WebhookDeliveryRow.status == DEAD, WebhookDeliveryRow.next_attempt_at >= cutoff),
    )
