"""The webhook delivery log the Data sources page shows: newest first, no secret in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import OutboxEventRow, WebhookDeliveryRow

DEFAULT_LIMIT = 100


@dataclass(frozen=True, slots=True)
class DeliveryView:
    """One delivery as the log shows it; `url` is already stripped of credentials."""

    id: int
    event_id: int
    kind: str
    endpoint: str
    url: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    response_code: int | None
    created_at: datetime
    delivered_at: datetime | None


def recent_deliveries(session: Session, *, limit: int = DEFAULT_LIMIT) -> list[DeliveryView]:
    query = (
        select(WebhookDeliveryRow, OutboxEventRow.kind)
        .join(OutboxEventRow, OutboxEventRow.id == WebhookDeliveryRow.event_id)
        .order_by(WebhookDeliveryRow.id.desc())
        .limit(limit)
    )
    return [
        DeliveryView(
            row.id,
            row.event_id,
            kind,
            row.endpoint,
            row.url,
            row.status,
            row.attempts,
            row.next_attempt_at,
            row.last_error,
            row.response_code,
            row.created_at,
            row.delivered_at,
        )
        for row, kind in session.execute(query)
    ]
