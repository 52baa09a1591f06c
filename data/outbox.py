"""The outbox: `enqueue` writes a webhook event inside the transaction of the change it reports.

An event exists iff its change committed (decision 020): the hooks below are called by the
code that writes the change, with its session, never in a transaction of their own. The
sidecar's `deliver_webhooks` poller fans each event out to the endpoints that want its kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from data.clock import utc
from data.models import OutboxEventRow

RECOMMENDATION_APPLIED: Final = "recommendation.applied"
RECOMMENDATION_ROLLED_BACK: Final = "recommendation.rolled_back"
RECOMMENDATION_REJECTED: Final = "recommendation.rejected"
RECOMMENDATION_POSTPONED: Final = "recommendation.postponed"
RECOMMENDATION_HIGH_VALUE: Final = "recommendation.high_value"
BUDGET_STATE_CHANGED: Final = "budget.state_changed"
BUDGET_CREATED: Final = "budget.created"
BUDGET_UPDATED: Final = "budget.updated"
BUDGET_DELETED: Final = "budget.deleted"
ANOMALY_DETECTED: Final = "anomaly.detected"
KINDS: Final = (
    RECOMMENDATION_APPLIED,
    RECOMMENDATION_ROLLED_BACK,
    RECOMMENDATION_REJECTED,
    RECOMMENDATION_POSTPONED,
    RECOMMENDATION_HIGH_VALUE,
    BUDGET_STATE_CHANGED,
    BUDGET_CREATED,
    BUDGET_UPDATED,
    BUDGET_DELETED,
    ANOMALY_DETECTED,
)
DEDUPE_KEY_MAX_CHARS = 200


def enqueue(
    session: Session,
    kind: str,
    payload: Mapping[str, Any],
    *,
    dedupe_key: str,
    now: datetime,
) -> None:
    """Add one event to the caller's transaction; a second event with the same `dedupe_key`
    (a job re-run over the same data) is silently dropped.

    ON CONFLICT DO NOTHING rather than catching the unique violation: on PostgreSQL a failed
    statement aborts the whole transaction, and with it the change the event reports."""
    if kind not in KINDS:
        raise ValueError(f"unknown webhook event kind {kind!r}")
    values = {
        "kind": kind,
        "payload": dict(payload),
        "created_at": utc(now),
        "dedupe_key": dedupe_key[:DEDUPE_KEY_MAX_CHARS],
    }
    session.execute(_insert_ignoring_duplicates(session).values(**values))


def _insert_ignoring_duplicates(session: Session) -> Insert:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(OutboxEventRow).on_conflict_do_nothing(
            index_elements=["dedupe_key"]
        )
    if dialect == "sqlite":
        return sqlite.insert(OutboxEventRow).on_conflict_do_nothing(index_elements=["dedupe_key"])
    raise ValueError(f"the outbox supports SQLite and PostgreSQL, not {dialect}")
