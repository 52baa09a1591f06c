"""Every rule's latest outcome per service — kept also when it proposes nothing, with why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from data.models import RuleOutcomeRow
from data.repos.bulk import insert_dicts

_TABLE = cast(Table, RuleOutcomeRow.__table__)  # for the bulk insert


class RuleResult(Protocol):
    """What an outcome row keeps of a rule result (a Recommendation, or a prepared one)."""

    @property
    def service_id(self) -> int | None: ...
    @property
    def rule_name(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def reason(self) -> str: ...


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """What one rule last concluded for one service: "recommend" or why not."""

    service_id: int
    kind: str
    outcome: str
    reason: str
    evaluated_at: datetime


def save_rule_outcomes(session: Session, recs: Sequence[RuleResult], *, now: datetime) -> int:
    """Replace the stored outcomes of every (service, rule) in `recs`; never commits.

    Rules: one row per (service, rule) — `kind` holds the rule's name, also for a rule whose
    proposal is a restore_sla; service-scoped results only (fleet/team commitments have no
    service); the rows of each evaluated service are deleted and re-inserted in bulk, so a
    rule dropped from the tuple leaves no stale row and 10,000 services cost one DELETE and
    one executemany.
    Returns the number of rows written.
    """
    rows = {
        (rec.service_id, rec.rule_name): {
            "service_id": rec.service_id,
            "kind": rec.rule_name,
            "outcome": rec.outcome,
            "reason": rec.reason,
            "evaluated_at": now,
        }
        for rec in recs
        if rec.service_id is not None
    }
    services = sorted({service_id for service_id, _ in rows})
    if not services:
        return 0
    # Core, not an ORM delete: that one also walks the session's whole identity map to
    # expire matching objects, and a recompute's session holds every live recommendation
    # (a batch at a time: O(batches × live rows), decision 030 session 11). No rule outcome
    # is loaded as an object in that session; a caller that loads some must expire them.
    session.connection().execute(delete(_TABLE).where(_TABLE.c.service_id.in_(services)))
    # On the session's connection, as RecommendationWriter.add: the ORM's bulk insert first
    # re-collects every row's parameters per mapped column (decision 030, session 8), and on
    # SQLite Core binds each row's values again (session 11): ~4 rows a service.
    insert_dicts(
        session.connection(), _TABLE, list(rows.values()),
        repeated=("kind", "outcome", "evaluated_at"),
    )  # fmt: skip
    return len(rows)


def list_rule_outcomes(session: Session, service_id: int) -> list[RuleOutcome]:
    """The latest outcome of each rule for one service, by rule name."""
    query = (
        select(RuleOutcomeRow)
        .where(RuleOutcomeRow.service_id == service_id)
        .order_by(RuleOutcomeRow.kind)
    )
    return [
        RuleOutcome(row.service_id, row.kind, row.outcome, row.reason, row.evaluated_at)
        for row in session.scalars(query)
    ]
