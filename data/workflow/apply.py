"""Apply: the proposed config becomes the service's current one, with its change and audit event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from data.errors import InvalidTransition
from data.handoff.record import record_handoff
from data.models import ConfigChangeRow, RecommendationRow
from data.repos import services
from data.repos.json_values import to_json
from data.repos.stored_recommendations import StoredRecommendation, to_stored
from data.workflow.decision_steps import (
    flush_decision,
    load_for_decision,
    mark_decided,
    record_decision,
)
from data.workflow.drift import check_unchanged, live_config
from data.workflow.outcome import Outcome
from data.workflow.siblings import supersede_siblings
from data.workflow.states import APPLIED


@dataclass(frozen=True, slots=True)
class Claimed:
    """A recommendation whose status is written (its row locked) and whose config is not yet."""

    row: RecommendationRow
    left: str


def apply_recommendation(
    session: Session, recommendation_id: int, *, expected_version: int, actor: str, now: datetime
) -> Outcome:
    """Apply one recommendation inside the caller's transaction.

    Service recommendations write a new current config version and a `config_change`; a
    fleet-scope one (a commitment: no service config) records its status and audit event only.
    Drifted when the live config is no longer the one the recommendation was computed from.
    """
    claimed = claim(
        session, recommendation_id, expected_version=expected_version, actor=actor, now=now
    )
    return complete(session, claimed, actor=actor, now=now)


def claim(
    session: Session, recommendation_id: int, *, expected_version: int, actor: str, now: datetime
) -> Claimed:
    """Step 1: the version-checked status write, which locks the recommendation row.

    Every action takes its recommendation locks before any service lock (see `complete`), so
    concurrent applies and bulk applies always lock in one order and cannot deadlock. A
    recommendation whose own SLA verdict fails is refused (InvalidTransition): recompute never
    offers one, and a row stored before it stopped doing so must not be applied either.
    """
    row = load_for_decision(session, recommendation_id, expected_version=expected_version)
    if row.sla_verdict.get("passes") is False:
        raise InvalidTransition(
            f"recommendation {row.id} does not keep the SLA on its own verdict: it cannot be"
            " applied (reject it, or recompute)"
        )
    left = mark_decided(row, "apply", actor=actor, now=now)
    flush_decision(session, row)
    return Claimed(row, left)


def complete(session: Session, claimed: Claimed, *, actor: str, now: datetime) -> Outcome:
    """Step 2: lock the service, check drift, write the config, its change and the audit event."""
    row, stored = claimed.row, to_stored(claimed.row)
    change = _change_config(session, stored, actor=actor, now=now)
    record_decision(
        session,
        row,
        "apply",
        before={"status": claimed.left, "config": change.before if change else None},
        after={"status": APPLIED, "config": change.after if change else None},
        detail={"service_id": stored.service_id, "change_id": change.id if change else None},
        actor=actor,
        now=now,
    )
    if change is not None:  # after the webhook event, whose id it keeps (decision 023)
        record_handoff(session, change, row, action="apply", now=now)
    if change is not None and stored.service_id is not None:  # the effect after its cause
        supersede_siblings(session, stored.service_id, applied_id=row.id, now=now)
    return Outcome(row.id, change.id if change else None, APPLIED, row.version, _message(stored))


def _change_config(
    session: Session, stored: StoredRecommendation, *, actor: str, now: datetime
) -> ConfigChangeRow | None:
    if stored.service_id is None or stored.current is None or stored.proposed is None:
        return None
    live = live_config(session, stored.service_id)
    check_unchanged(live, stored.current, subject=f"recommendation {stored.id}")
    services.set_capacity(session, stored.service_id, stored.proposed, actor=actor, now=now)
    change = ConfigChangeRow(
        service_id=stored.service_id,
        recommendation_id=stored.id,
        before=to_json(live),
        after=to_json(stored.proposed),
        status=APPLIED,
        actor=actor,
        reason=stored.reason or None,
        applied_at=now,
    )
    session.add(change)
    session.flush()
    return change


def _message(stored: StoredRecommendation) -> str:
    if stored.current is None or stored.proposed is None:
        return f"Applied recommendation {stored.id} ({stored.kind}, {stored.scope})."
    return (
        f"Applied recommendation {stored.id}: "
        f"{stored.current.describe()} → {stored.proposed.describe()}."
    )
