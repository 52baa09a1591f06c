"""Reject and postpone: a reviewer's decisions that change no config."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from data.errors import InvalidInput
from data.workflow.decision_steps import (
    flush_decision,
    load_for_decision,
    mark_decided,
    record_decision,
)
from data.workflow.outcome import Outcome
from data.workflow.states import POSTPONED, REJECTED

REASON_MAX_CHARS = 2000


def reject(
    session: Session,
    recommendation_id: int,
    *,
    expected_version: int,
    reason: str,
    actor: str,
    now: datetime,
    cooldown: timedelta,
) -> Outcome:
    """Reject with a reason; the same proposal stays away for `cooldown` (suppressed_until)."""
    text = checked_reason(reason)
    row = load_for_decision(session, recommendation_id, expected_version=expected_version)
    left = mark_decided(row, "reject", actor=actor, now=now)
    row.decision_reason = text
    row.suppressed_until = now + cooldown
    flush_decision(session, row)
    record_decision(
        session,
        row,
        "reject",
        before={"status": left},
        after={"status": REJECTED, "suppressed_until": row.suppressed_until.isoformat()},
        detail={"reason": text},
        actor=actor,
        now=now,
    )
    message = (
        f"Rejected recommendation {row.id}; "
        f"not proposed again before {row.suppressed_until:%Y-%m-%d}."
    )
    return Outcome(row.id, None, REJECTED, row.version, message)


def postpone(
    session: Session,
    recommendation_id: int,
    *,
    expected_version: int,
    until: datetime,
    actor: str,
    now: datetime,
) -> Outcome:
    """Postpone until a later moment; the recommendation keeps every decision open meanwhile."""
    if until <= now:
        raise InvalidInput(f"postpone until {until:%Y-%m-%d %H:%M UTC}: pick a moment after now")
    row = load_for_decision(session, recommendation_id, expected_version=expected_version)
    left = mark_decided(row, "postpone", actor=actor, now=now)
    row.postponed_until = until
    flush_decision(session, row)
    record_decision(
        session,
        row,
        "postpone",
        before={"status": left},
        after={"status": POSTPONED, "postponed_until": until.isoformat()},
        detail={},
        actor=actor,
        now=now,
    )
    message = f"Postponed recommendation {row.id} until {until:%Y-%m-%d %H:%M UTC}."
    return Outcome(row.id, None, POSTPONED, row.version, message)


def optional_reason(reason: str | None) -> str | None:
    """A blank optional reason (an empty text box) is no reason; a long one is refused."""
    return checked_reason(reason) if reason and reason.strip() else None


def checked_reason(reason: str) -> str:
    """The reason stripped; InvalidInput when blank or longer than REASON_MAX_CHARS."""
    text = reason.strip()
    if not text:
        raise InvalidInput("a rejection needs a reason")
    if len(text) > REASON_MAX_CHARS:
        raise InvalidInput(f"a reason is at most {REASON_MAX_CHARS} characters, got {len(text)}")
    return text
