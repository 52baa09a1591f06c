"""The webhook outbox: events written with the change that caused them, and their deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, Json


class OutboxEventRow(Base):
    """One event ("recommendation.applied", "budget.state_changed" …), committed in the same
    transaction as its cause; `dedupe_key` makes a repeated cause (a re-run job) a no-op."""

    __tablename__ = "outbox_event"
    __table_args__ = (UniqueConstraint("dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    payload: Mapped[Json]
    created_at: Mapped[datetime]
    dedupe_key: Mapped[str] = mapped_column(String(200))


class WebhookDeliveryRow(Base):
    """One event to one endpoint: pending → delivered, or failed (will retry) → dead.

    `endpoint` is the configured endpoint's name; `url` is its address without credentials or
    query string (the secret-free form the delivery log shows)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "endpoint"),
        Index("ix_webhook_delivery_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_event.id", ondelete="CASCADE"))
    endpoint: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    response_code: Mapped[int | None]
