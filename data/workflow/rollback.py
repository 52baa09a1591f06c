"""Rollback: restore a change's `before` config, only while the live config is still its `after`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from data import outbox_events
from data.errors import Conflict, InvalidTransition, NotFound
from data.handoff.record import record_handoff
from data.models import ConfigChangeRow, RecommendationRow
from data.repos import services
from data.repos.audit import record_event
from data.workflow.decision_steps import flush_decision
from data.workflow.drift import check_unchanged, live_config
from data.workflow.outcome import Outcome
from data.workflow.states import APPLIED, ROLLED_BACK, check_rollback
from engine.capacity import CapacityConfig


def rollback_change(
    session: Session,
    change_id: int,
    *,
    actor: str,
    now: datetime,
    reason: str | None,
    cooldown: timedelta,
) -> Outcome:
    """Roll one applied change back inside the caller's transaction.

    Refused with Drifted when the live config is no longer the change's `after` (someone changed
    it since: restoring `before` would undo their work too). The recommendation becomes
    rolled_back and is not proposed again before `now + cooldown`.
    """
    change = _claim(session, change_id, actor=actor, now=now)
    rec = _recommendation(session, change)
    before, after = CapacityConfig(**change.before), CapacityConfig(**change.after)
    live = live_config(session, change.service_id)
    check_unchanged(live, after, subject=f"rollback of change {change.id}")
    services.set_capacity(session, change.service_id, before, actor=actor, now=now)
    if rec is not None:
        _mark_rolled_back(session, rec, actor=actor, now=now, reason=reason, cooldown=cooldown)
    _record(session, change, rec, actor=actor, now=now, reason=reason)
    record_handoff(session, change, rec, action="rollback", now=now)  # the reverse patch
    message = f"Rolled back change {change.id}: {after.describe()} → {before.describe()}."
    if rec is not None and rec.suppressed_until is not None:
        message += f" Not proposed again before {rec.suppressed_until:%Y-%m-%d}."
    return Outcome(
        change.recommendation_id, change.id, ROLLED_BACK, rec.version if rec else None, message
    )


def _record(
    session: Session,
    change: ConfigChangeRow,
    rec: RecommendationRow | None,
    *,
    actor: str,
    now: datetime,
    reason: str | None,
) -> None:
    """The rollback's one audit event, on the change: config from `after` back to `before`,
    and its webhook event."""
    outbox_events.change_rolled_back(session, change, rec, actor=actor, now=now)
    record_event(
        session,
        actor=actor,
        action="rollback",
        target=("config_change", change.id),
        before={"status": APPLIED, "config": change.after},
        after={"status": ROLLED_BACK, "config": change.before},
        detail={
            "recommendation_id": change.recommendation_id,
            "service_id": change.service_id,
            "version": rec.version if rec else None,
            "reason": reason,
        },
        now=now,
    )


def _claim(session: Session, change_id: int, *, actor: str, now: datetime) -> ConfigChangeRow:
    """Mark the change rolled back if it is still applied: the first write, a compare-and-set.

    Of two concurrent rollbacks the second waits here, then matches no row (Conflict).
    """
    change = session.get(ConfigChangeRow, change_id)
    if change is None:
        raise NotFound(f"change {change_id} does not exist")
    check_rollback(change.id, change.status)
    claimed = session.execute(
        update(ConfigChangeRow)
        .where(ConfigChangeRow.id == change_id, ConfigChangeRow.status == APPLIED)
        .values(status=ROLLED_BACK, rolled_back_at=now, rolled_back_by=actor)
        .execution_options(synchronize_session="fetch")
    )
    if cast(CursorResult[Any], claimed).rowcount != 1:
        raise Conflict(f"change {change_id} was rolled back by someone else just now")
    return change


def _recommendation(session: Session, change: ConfigChangeRow) -> RecommendationRow | None:
    if change.recommendation_id is None:
        return None
    rec = session.get(RecommendationRow, change.recommendation_id)
    if rec is not None and not rec.rollback_possible:
        raise InvalidTransition(f"recommendation {rec.id} is marked as not rollback-able")
    if rec is not None and rec.status != APPLIED:
        raise InvalidTransition(f"recommendation {rec.id} is {rec.status}, not applied")
    return rec


def _mark_rolled_back(
    session: Session,
    rec: RecommendationRow,
    *,
    actor: str,
    now: datetime,
    reason: str | None,
    cooldown: timedelta,
) -> None:
    rec.status = ROLLED_BACK
    rec.suppressed_until = now + cooldown
    rec.decided_by = actor
    rec.decided_at = now
    rec.updated_at = now
    rec.decision_reason = reason or rec.decision_reason
    flush_decision(session, rec)
