"""A hand-off as pages and the API read it, and the one sentence that says what happened."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import HandoffRow, WebhookDeliveryRow

HANDED_OFF: Final = "handed_off"
RECORDED_ONLY: Final = "recorded_only"
NOT_CHANGED = "not changed anywhere"


@dataclass(frozen=True, slots=True)
class HandoffView:
    """Where one applied (or rolled-back) change went."""

    id: int
    change_id: int
    recommendation_id: int | None
    action: str
    target: str
    status: str  # pending | pushing | handed_off | recorded_only | failed
    branch: str | None
    commit_sha: str | None
    path: str | None
    manifest: str
    last_error: str | None
    attempts: int
    next_attempt_at: datetime | None
    outbox_event_id: int | None
    webhook_delivery_ids: tuple[int, ...]

    @property
    def short_commit(self) -> str | None:
        return self.commit_sha[:7] if self.commit_sha else None

    def label(self) -> str:
        """What happened, honestly: handed off (where), or recorded only (and why)."""
        if self.status == HANDED_OFF:
            return (f"recorded and handed off (commit {self.short_commit} on branch "
                    f"{self.branch})")  # fmt: skip
        if self.status == RECORDED_ONLY:
            return f"recorded only — {NOT_CHANGED} (no GitOps repository configured)"
        if self.status == "failed" and self.next_attempt_at is None:
            return f"recorded only — {NOT_CHANGED}: {self.last_error}"
        if self.status == "failed":
            return (f"recorded only so far — hand-off failed ({self.last_error}); "
                    f"retried at {self.next_attempt_at:%Y-%m-%d %H:%M} UTC")  # fmt: skip
        return f"recorded; hand-off to the GitOps repository pending — {NOT_CHANGED} yet"


def recorded_only_label() -> str:
    """A decision with no change to hand off (a fleet-scope one, a commitment)."""
    return f"recorded only — {NOT_CHANGED}"


def handoffs(
    session: Session,
    *,
    recommendation_ids: Iterable[int] = (),
    change_ids: Iterable[int] = (),
) -> list[HandoffView]:
    """The hand-offs of these recommendations or changes, oldest first."""
    recs, changes = list(recommendation_ids), list(change_ids)
    query = select(HandoffRow).order_by(HandoffRow.id)
    if recs:
        query = query.where(HandoffRow.recommendation_id.in_(recs))
    if changes:
        query = query.where(HandoffRow.change_id.in_(changes))
    if not recs and not changes:
        return []
    rows = list(session.scalars(query))
    deliveries = _deliveries(session, [r.outbox_event_id for r in rows if r.outbox_event_id])
    return [_view(row, deliveries.get(row.outbox_event_id or 0, ())) for row in rows]


def _deliveries(session: Session, event_ids: list[int]) -> dict[int, tuple[int, ...]]:
    found: dict[int, list[int]] = {}
    if event_ids:
        query = select(WebhookDeliveryRow.event_id, WebhookDeliveryRow.id).where(
            WebhookDeliveryRow.event_id.in_(event_ids)
        )
        for event_id, delivery_id in session.execute(query.order_by(WebhookDeliveryRow.id)):
            found.setdefault(event_id, []).append(delivery_id)
    return {event: tuple(ids) for event, ids in found.items()}


def _view(row: HandoffRow, deliveries: tuple[int, ...]) -> HandoffView:
    return HandoffView(
        id=row.id, change_id=row.change_id, recommendation_id=row.recommendation_id,
        action=row.action, target=row.target, status=row.status, branch=row.branch,
        commit_sha=row.commit_sha, path=row.path, manifest=row.manifest,
        last_error=row.last_error, attempts=row.attempts, next_attempt_at=row.next_attempt_at,
        outbox_event_id=row.outbox_event_id, webhook_delivery_ids=deliveries,
    )  # fmt: skip
