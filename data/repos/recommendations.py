"""Recommendations written: upsert by stable key, one live row per proposal, supersede the rest."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from data.errors import InvalidInput
from data.models import RecommendationRow
from data.repos.audit import record_status_change
from data.repos.bulk import insert_dicts
from data.repos.recommendation_values import (
    PreparedRecommendation,
    Slot,
    prepare,
    recommendation_values,
)
from engine.recommendation import Recommendation

OPEN = "open"
RECOMPUTE_ACTOR = "system:recompute"
SUPERSEDED = "superseded"
# Rows a recompute may refresh or supersede: nobody has decided on them for good yet.
LIVE_STATUSES = (OPEN, "postponed")
# A human said no (or undid it): the same proposal stays away until `suppressed_until`.
SUPPRESSING_STATUSES = ("rejected", "rolled_back")
MONEY_TOLERANCE = Decimal("1e-8")
_TABLE = cast(Table, RecommendationRow.__table__)  # for Core inserts (`add`)
# A new row's columns whose values repeat across a run's rows: bound once per distinct value.
_REPEATED = ("scope", "status", "kind", "rule", "currency", "effort", "created_at", "updated_at")


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
    """Upsert the outcome of one recompute; never commits (`RecommendationWriter`, all at once).

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
    writer = RecommendationWriter(session, now=now)
    writer.add([prepare(rec) for rec in recs])
    return writer.finish()


class RecommendationWriter:
    """`save_recommendations` fed batch by batch, in one session's transaction; never commits.

    A cluster recompute adds each batch's prepared results as they arrive, so the parent
    writes while the workers compute and never holds the whole fleet's results (decision 030).
    Reads the live rows and the suppressed keys once, at the start; `add` upserts a batch
    (its new rows in one INSERT); `finish` supersedes the evaluated slots' rows proposed by
    no batch, with their audit events. A batch's keys never meet another's: a key holds its
    target (a service in one batch only, or a team's scope).
    """

    def __init__(self, session: Session, *, now: datetime) -> None:
        self.session, self.now = session, now
        self._cooling = _suppressed_keys(session, now=now)
        self._live = {row.fingerprint: row for row in _live_rows(session)}
        self._live_slots = {_row_slot(row) for row in self._live.values()}
        # Only what `finish` compares with the live rows is kept, not every result's slot/key.
        self._evaluated: set[Slot] = set()
        self._kept: set[str] = set()
        self._counts: Counter[str] = Counter()

    def add(self, recs: Sequence[PreparedRecommendation]) -> None:
        """Upsert one batch's results (a repeated key: its last result, at its first place)."""
        self._evaluated |= {rec.slot for rec in recs} & self._live_slots
        proposals = {rec.key: rec for rec in recs if rec.key is not None}
        self._kept |= proposals.keys() & self._live.keys()
        self._counts["refused"] += sum(1 for rec in recs if rec.refused)
        created: list[dict[str, Any]] = []
        for key, rec in proposals.items():
            if key in self._cooling:
                self._counts["suppressed"] += 1
                continue
            row = self._live.get(key)
            self._counts[_upsert(row, key, rec, created=created, now=self.now)] += 1
        if created:
            # One executemany, no ORM object per new row: building them was most of a fleet
            # recompute's write time (decision 030). Nothing in this run reads them back. On
            # the session's connection, not the ORM's bulk insert, which first re-collects
            # every row's parameters per mapped column (a third of the insert's CPU), nor
            # Core's per-row binding on SQLite (`insert_dicts`); and neither autoflushes:
            # changed live rows wait for `finish`, so their row locks (and version checks
            # against an analyst's decision) span the end only.
            insert_dicts(self.session.connection(), _TABLE, created, repeated=_REPEATED)

    def finish(self) -> SaveReport:
        """Supersede what no batch proposed any more; what the whole run did."""
        live = self._live.values()
        superseded = _supersede(live, self._evaluated, keep=self._kept, now=self.now)
        self.session.flush()
        _audit_superseded(self.session, superseded, now=self.now)
        names = ("created", "updated", "unchanged", "duplicates", "suppressed", "refused")
        return SaveReport(
            **{name: self._counts[name] for name in names}, superseded=len(superseded)
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


def _upsert(
    row: RecommendationRow | None,
    key: str,
    rec: PreparedRecommendation,
    *,
    created: list[dict[str, Any]],
    now: datetime,
) -> str:
    """created (its values appended to `created`) / updated / unchanged, or duplicates when
    another scope's row holds the key."""
    assert rec.values is not None  # an offerable result carries its columns
    if row is None:
        created.append(_new_values(rec.service_id, rec.scope, rec.values, now=now, key=key))
        return "created"
    if row.scope != rec.scope:
        return "duplicates"
    return "updated" if _refresh(row, rec.values, now=now) else "unchanged"


def _row_slot(row: RecommendationRow) -> Slot:
    return (row.service_id, row.scope, row.rule)


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
    values = _new_values(
        rec.service_id, rec.scope, recommendation_values(rec), now=now, key=rec.key
    )
    return RecommendationRow(**values)


def _new_values(
    service_id: int | None, scope: str, values: dict[str, Any], *, now: datetime, key: str
) -> dict[str, Any]:
    """A new open row's columns."""
    return {
        "service_id": service_id,
        "scope": scope,
        "status": OPEN,
        "fingerprint": key,
        "created_at": now,
        "updated_at": now,
        **values,
    }


def _refresh(row: RecommendationRow, values: dict[str, Any], *, now: datetime) -> bool:
    """Write the values that changed; True if any did."""
    changed = {
        name: value for name, value in values.items() if not _same(getattr(row, name), value)
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
