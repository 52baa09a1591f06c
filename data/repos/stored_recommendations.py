"""Stored recommendations read back: engine values plus workflow state, biggest savings first."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import RecommendationRow
from data.repos.explanations import explanation_from_json
from engine.capacity import CapacityConfig
from engine.explanation import Explanation
from engine.recommendation import (
    Confidence,
    Money,
    RecommendationKind,
    Risk,
    SlaSummary,
    is_savings_kind,
)


@dataclass(frozen=True, slots=True)
class StoredRecommendation:
    """A stored recommendation as pages read it: engine values plus workflow state."""

    id: int
    key: str
    status: str
    version: int
    service_id: int | None
    scope: str
    kind: RecommendationKind
    rule: str
    current: CapacityConfig | None
    proposed: CapacityConfig | None
    cost_current: Money
    cost_proposed: Money
    monthly_savings_usd: float
    savings_pct: float
    currency: str
    risk: Risk
    sla: SlaSummary | None
    confidence: Confidence | None
    reason: str
    explanation: Explanation
    effort: str
    restart_needed: bool
    rollback_possible: bool
    created_at: datetime
    updated_at: datetime
    suppressed_until: datetime | None
    postponed_until: datetime | None
    decision_reason: str | None

    @property
    def sla_fails(self) -> bool:
        """The proposal's own SLA verdict fails (it must not be applied)."""
        return self.sla is not None and not self.sla.passes

    @property
    def monthly_cost_increase_usd(self) -> float:
        """What a restore_sla costs on top, per month (> 0); 0 for a saving."""
        return 0.0 if is_savings_kind(self.kind) else max(-self.monthly_savings_usd, 0.0)


def list_recommendations(
    session: Session, *, status: str | None = None, service_id: int | None = None
) -> list[StoredRecommendation]:
    """Stored recommendations, biggest monthly savings first (ties: oldest first)."""
    query = select(RecommendationRow).order_by(
        RecommendationRow.monthly_savings_usd.desc(), RecommendationRow.id
    )
    if status is not None:
        query = query.where(RecommendationRow.status == status)
    if service_id is not None:
        query = query.where(RecommendationRow.service_id == service_id)
    return [to_stored(row) for row in session.scalars(query)]


def to_stored(row: RecommendationRow) -> StoredRecommendation:
    """ORM row → engine-valued view (JSON nulls for NaN come back as NaN)."""
    verdict = dict(row.sla_verdict)
    sub_scores = verdict.pop("risk_sub_scores", {})
    explanation = dict(row.explanation)
    return StoredRecommendation(
        id=row.id,
        key=row.fingerprint,
        status=row.status,
        version=row.version,
        service_id=row.service_id,
        scope=row.scope,
        kind=cast(RecommendationKind, row.kind),
        rule=row.rule,
        current=_config(row.current_config),
        proposed=_config(row.proposed_config),
        cost_current=Money(
            float(row.monthly_cost_current_list_usd), float(row.monthly_cost_current_effective_usd)
        ),
        cost_proposed=Money(
            float(row.monthly_cost_proposed_list_usd),
            float(row.monthly_cost_proposed_effective_usd),
        ),
        monthly_savings_usd=float(row.monthly_savings_usd),
        savings_pct=row.savings_pct,
        currency=row.currency,
        risk=Risk(row.risk_score, {str(k): int(v) for k, v in sub_scores.items()}),
        sla=_sla(verdict),
        confidence=_confidence(row.confidence),
        reason=str(explanation.pop("reason", "")),
        explanation=explanation_from_json(explanation.get("details", {})),
        effort=row.effort,
        restart_needed=row.restart_needed,
        rollback_possible=row.rollback_possible,
        created_at=row.created_at,
        updated_at=row.updated_at,
        suppressed_until=row.suppressed_until,
        postponed_until=row.postponed_until,
        decision_reason=row.decision_reason,
    )


def _config(stored: dict[str, Any]) -> CapacityConfig | None:
    return CapacityConfig(**stored) if stored else None


def _sla(stored: dict[str, Any]) -> SlaSummary | None:
    if not stored:
        return None
    return SlaSummary(
        passes=bool(stored["passes"]),
        projected_p95_ms=_float(stored["projected_p95_ms"]),
        hours_within_target_pct=_float(stored["hours_within_target_pct"]),
        peak_utilization=_float(stored["peak_utilization"]),
        n_plus_one_ok=bool(stored["n_plus_one_ok"]),
        availability_ok=bool(stored["availability_ok"]),
        reasons=tuple(stored.get("reasons", ())),
    )


def _confidence(stored: dict[str, Any]) -> Confidence | None:
    if not stored:
        return None
    return Confidence(
        points=int(stored["points"]),
        days=_float(stored["days"]),
        lower=stored.get("lower"),
        upper=stored.get("upper"),
        unit=str(stored.get("unit", "")),
    )


def _float(value: float | None) -> float:
    return math.nan if value is None else float(value)
