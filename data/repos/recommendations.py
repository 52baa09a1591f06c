"""Recommendations written: upsert by stable key, one live row per proposal, supersede the rest."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from data.errors import InvalidInput
from data.models import RecommendationRow
from data.repos.audit import record_status_change
from data.repos.explanations import explanation_to_json
from data.repos.json_values import to_json, to_money
from engine.recommendation import Money, Recommendation

OPEN = "open"
RECOMPUTE_ACTOR = "system:recompute"
SUPERSEDED = "superseded"
# Rows a recompute may refresh or supersede: nobody has decided on them for good yet.
LIVE_STATUSES = (OPEN, "postponed")
# A human said no (or undid it): the same proposal stays away until `suppressed_until`.
SUPPRESSING_STATUSES = ("rejected", "rolled_back")
MONEY_TOLERANCE = Decimal("1e-8")

# (service_id, scope, rule): the slot one rule fills for one scope.
Slot = tuple[int | None, str, str]


@dataclass(frozen=True, slots=True)
class SaveReport:
    """What `save_recommendations` did, in rows (refused and duplicates: proposals not stored)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    superseded: int = 0
    suppressed: int = 0
    refused: int = 0  # their own SLA verdict fails: never offered
    duplicates: int = 0  # already live as another scope's row (a promoted scenario)


def save_recommendations(
    session: Session, recs: Sequence[Recommendation], *, now: datetime
) -> SaveReport:
    """Upsert the outcome of one recompute; never commits.

    Rules:
    - only offerable proposals are stored (outcome "recommend" and an SLA verdict that passes,
      `Recommendation.offerable`; others are counted as refused); other outcomes only mark their
      slot (service, scope, rule) as evaluated;
    - identity is `Recommendation.key` (→ `fingerprint`: the target and the proposed config):
      a live (open/postponed) row with the same key is updated in place, its status kept, and
      only if a value changed (so a repeated recompute bumps no version and cannot make a
      reviewer's open page stale); a key live in another scope (a promoted scenario) is left
      to that row (counted as a duplicate) — the database refuses a second live row anyway;
    - live rows of an evaluated slot whose key is not proposed any more become "superseded";
    - a key whose latest row is rejected / rolled back with `suppressed_until > now` is not
      re-proposed (counted as suppressed).
    """
    evaluated = {_slot(rec) for rec in recs}
    proposals = {rec.key: rec for rec in recs if rec.offerable}
    refused = sum(1 for rec in recs if rec.outcome == "recommend" and not rec.offerable)
    suppressed = _suppressed_keys(session, now=now) & proposals.keys()
    live = {row.fingerprint: row for row in _live_rows(session)}
    counts: Counter[str] = Counter()
    created: list[dict[str, Any]] = []
    for key, rec in proposals.items():
        if key not in suppressed:
            counts[_upsert(session, live.get(key), key, rec, created=created, now=now)] += 1
    superseded = _supersede(live.values(), evaluated, keep=proposals.keys(), now=now)
    session.flush()
    if created:
        # One executemany, no ORM object per new row: building them was most of a fleet
        # recompute's write time (decision 030). Nothing in this run reads them back.
        session.execute(insert(RecommendationRow), created)
    _audit_superseded(session, superseded, now=now)
    return SaveReport(
        **{name: counts[name] for name in ("created", "updated", "unchanged", "duplicates")},
        superseded=len(superseded),
        suppressed=len(suppressed),
        refused=refused,
    )


def insert_recommendation(session: Session, rec: Recommendation, *, now: datetime) -> int:
    """Store one proposal as a new open row (outside any recompute); returns its id.

    For proposals made by hand (a promoted what-if scenario): nothing is upserted, superseded
    or suppressed. A proposal whose SLA verdict fails is refused (InvalidInput), as is one whose
    key is already live (the database's unique index). Never commits.
    """
    if rec.outcome != "recommend":
        raise ValueError(f"only a proposal can be stored, got outcome {rec.outcome!r}")
    if not rec.offerable:
        raise InvalidInput(
            "the proposed configuration does not keep the SLA, so it cannot be offered: "
            + "; ".join(rec.sla.reasons if rec.sla else ())
        )
    row = _new_row(rec, now=now)
    session.add(row)
    session.flush()
    return row.id


def _slot(rec: Recommendation) -> Slot:
    return (rec.service_id, rec.scope, rec.rule_name)


def _upsert(
    session: Session,
    row: RecommendationRow | None,
    key: str,
    rec: Recommendation,
    *,
    created: list[dict[str, Any]],
    now: datetime,
) -> str:
    """created (its values appended to `created`) / updated / unchanged, or duplicates when
    another scope's row holds the key (`rec.key`, passed in: it hashes the proposed config,
    so it is computed once a run)."""
    if row is None:
        created.append(_new_values(rec, now=now, key=key))
        return "created"
    if row.scope != rec.scope:
        return "duplicates"
    return "updated" if _refresh(row, rec, now=now) else "unchanged"


def _live_rows(session: Session) -> list[RecommendationRow]:
    query = select(RecommendationRow).where(RecommendationRow.status.in_(LIVE_STATUSES))
    return list(session.scalars(query.order_by(RecommendationRow.id)))


def _suppressed_keys(session: Session, *, now: datetime) -> set[str]:
    """Keys whose latest row is a rejection or rollback still in its cool-down."""
    cooling = (
        select(RecommendationRow.fingerprint)
        .where(
            RecommendationRow.status.in_(SUPPRESSING_STATUSES),
            RecommendationRow.suppressed_until > now,
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            RecommendationRow.fingerprint,
            RecommendationRow.status,
            RecommendationRow.suppressed_until,
        )
        .where(RecommendationRow.fingerprint.in_(cooling))
        .order_by(RecommendationRow.id)
    ).all()
    latest = {fingerprint: (status, until) for fingerprint, status, until in rows}
    return {
        key
        for key, (status, until) in latest.items()
        if status in SUPPRESSING_STATUSES and until is not None and until > now
    }


def _supersede(
    live: Iterable[RecommendationRow], evaluated: set[Slot], *, keep: Iterable[str], now: datetime
) -> list[tuple[RecommendationRow, str]]:
    """Mark live rows of evaluated slots that are not proposed any more; (row, old status)."""
    kept = set(keep)
    stale = [
        (row, row.status)
        for row in live
        if row.fingerprint not in kept and (row.service_id, row.scope, row.rule) in evaluated
    ]
    for row, _ in stale:
        row.status = SUPERSEDED
        row.updated_at = now
    return stale


def _audit_superseded(
    session: Session, superseded: list[tuple[RecommendationRow, str]], *, now: datetime
) -> None:
    """One audit event per superseded row: system transitions are part of the trail too."""
    for row, left in superseded:
        record_status_change(
            session, row, left=left, actor=RECOMPUTE_ACTOR, action="supersede", now=now
        )


def _new_row(rec: Recommendation, *, now: datetime) -> RecommendationRow:
    return RecommendationRow(**_new_values(rec, now=now, key=rec.key))


def _new_values(rec: Recommendation, *, now: datetime, key: str) -> dict[str, Any]:
    """A new open row's columns."""
    return {
        "service_id": rec.service_id,
        "scope": rec.scope,
        "status": OPEN,
        "fingerprint": key,
        "created_at": now,
        "updated_at": now,
        **_values(rec),
    }


def _refresh(row: RecommendationRow, rec: Recommendation, *, now: datetime) -> bool:
    """Write the values that changed; True if any did."""
    changed = {
        name: value for name, value in _values(rec).items() if not _same(getattr(row, name), value)
    }
    for name, value in changed.items():
        setattr(row, name, value)
    if changed:
        row.updated_at = now
    return bool(changed)


def _same(stored: Any, value: Any) -> bool:
    if isinstance(stored, Decimal) and isinstance(value, Decimal):
        # SQLite keeps NUMERIC as a double, so the 10th decimal may come back off by one unit.
        return abs(stored - value) <= MONEY_TOLERANCE
    return bool(stored == value)


def _values(rec: Recommendation) -> dict[str, Any]:
    """The columns a recompute owns (everything but identity and workflow state); the kind and
    rule too, since two rules may propose one config (the same key) from one run to the next."""
    current = rec.cost_current or Money(0.0, 0.0)
    proposed = rec.cost_proposed or Money(0.0, 0.0)
    savings_pct = rec.savings_pct
    return {
        "kind": rec.kind,
        "rule": rec.rule_name,
        "current_config": to_json(rec.current) or {},
        "proposed_config": to_json(rec.proposed) or {},
        "monthly_cost_current_list_usd": to_money(current.list_usd),
        "monthly_cost_current_effective_usd": to_money(current.effective_usd),
        "monthly_cost_proposed_list_usd": to_money(proposed.list_usd),
        "monthly_cost_proposed_effective_usd": to_money(proposed.effective_usd),
        "monthly_savings_usd": to_money(rec.monthly_savings_usd),
        "savings_pct": savings_pct if math.isfinite(savings_pct) else 0.0,
        "currency": rec.currency,
        "risk_score": rec.risk.score,
        "sla_verdict": {
            **(to_json(rec.sla) or {}),
            "risk_sub_scores": to_json(rec.risk.sub_scores),
        },
        "explanation": {
            "reason": rec.reason,
            "details": to_json(explanation_to_json(rec.explanation)),
        },
        "confidence": to_json(rec.confidence) or {},
        "effort": rec.effort,
        "restart_needed": rec.restart_needed,
        "rollback_possible": rec.rollback_possible,
    }
