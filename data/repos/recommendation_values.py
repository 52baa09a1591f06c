"""A recommendation as the columns it is stored in: prepared wherever the engine ran it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from data.repos.explanations import explanation_to_json
from data.repos.json_values import to_json, to_money
from engine.pickling import by_constructor
from engine.recommendation import Money, Recommendation

# (service_id, scope, rule): the slot one rule fills for one scope.
Slot = tuple[int | None, str, str]


@by_constructor  # ~1,280 a batch cross from a worker: dataclasses' setstate is slower
@dataclass(frozen=True, slots=True)
class PreparedRecommendation:
    """One rule result, encoded for the write: a cluster worker prepares its batch's, so the
    parent that writes them neither re-encodes evidence nor unpickles engine objects.

    `key` and `values` (the columns a recompute owns, `recommendation_values`) are set for
    an offerable proposal only: nothing else is stored, other outcomes only mark their slot
    as evaluated and keep their reason (rule_outcome).
    """

    kind: str
    rule_name: str
    outcome: str
    reason: str
    service_id: int | None
    scope: str
    refused: bool  # outcome "recommend" whose own SLA verdict fails: never offered
    key: str | None = None
    values: dict[str, Any] | None = None

    @property
    def slot(self) -> Slot:
        return (self.service_id, self.scope, self.rule_name)

    @property
    def offerable(self) -> bool:
        return self.key is not None


def prepare(rec: Recommendation) -> PreparedRecommendation:
    """The rule result as the write takes it (the key hashed, the evidence encoded once)."""
    offerable = rec.offerable
    return PreparedRecommendation(
        kind=rec.kind,
        rule_name=rec.rule_name,
        outcome=rec.outcome,
        reason=rec.reason,
        service_id=rec.service_id,
        scope=rec.scope,
        refused=rec.outcome == "recommend" and not offerable,
        key=rec.key if offerable else None,
        values=recommendation_values(rec) if offerable else None,
    )


def recommendation_values(rec: Recommendation) -> dict[str, Any]:
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
