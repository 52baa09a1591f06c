"""Retry now: a dead webhook delivery queued again, through the guarded write path."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from data.clock import utc
from data.errors import Conflict, NotFound
from data.guard import Attempt, Guard
from data.models import WebhookDeliveryRow
from data.repos.audit import record_event
from data.settings import Role
from data.webhooks.delivery import DEAD, PENDING
from data.workflow import WorkflowPolicy

# Where alerts go is an operator's business (the endpoints are deployment settings).
RETRY_WEBHOOK: Role = "admin"
ACTION = "webhook_retry"


class WebhookDesk:
    """`WebhookDesk(sessions, policy).retry(actor, delivery_id, now=...)`."""

    def __init__(self, sessions: sessionmaker[Session], policy: WorkflowPolicy) -> None:
        self._guard = Guard(sessions, policy)

    def retry(self, actor: str, delivery_id: int, *, now: datetime) -> None:
        """A dead delivery becomes pending with a fresh attempt budget, due now; Conflict when
        it is not dead (someone retried it first), NotFound when it is gone."""
        attempt = Attempt(
            ACTION, RETRY_WEBHOOK, ("webhook_delivery", delivery_id),
            doing="retrying a webhook delivery",
        )  # fmt: skip

        def change(session: Session) -> None:
            row = session.get(WebhookDeliveryRow, delivery_id)
            if row is None:
                raise NotFound(f"webhook delivery {delivery_id} does not exist")
            before = {"status": row.status, "attempts": row.attempts}
            claimed = session.execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.id == delivery_id, WebhookDeliveryRow.status == DEAD)
                .values(status=PENDING, attempts=0, next_attempt_at=utc(now))
                .execution_options(synchronize_session="fetch")
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict(f"webhook delivery {delivery_id} is {row.status}, not dead")
            record_event(
                session, actor=actor, action=ACTION, target=("webhook_delivery", delivery_id),
                before=before, after={"status": PENDING, "attempts": 0},
                detail={"endpoint": row.endpoint, "event_id": row.event_id}, now=utc(now),
            )  # fmt: skip

        self._guard.run(actor, attempt, now=now, change=change)
