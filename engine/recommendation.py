"""What a rule returns: a change with dollars, risk, SLA verdict and explanation, or a reason."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from engine.capacity import CapacityConfig
from engine.risk import RISK_LABELS

RecommendationKind = Literal["rightsize", "horizontal", "joint", "idle", "off_hours", "commitment"]
Outcome = Literal[
    "recommend", "not_enough_data", "no_change_worth_making", "already_optimal", "not_applicable"
]
MIN_SAVINGS_PCT = 5.0
MIN_SAVINGS_USD = 10.0


@dataclass(frozen=True, slots=True)
class Money:
    """Monthly (730 h) cost of a config: list (on-demand) and effective (after discounts)."""

    list_usd: float
    effective_usd: float


@dataclass(frozen=True, slots=True)
class Risk:
    """Risk 0–4 = the max of its sub-scores (AWS Compute Optimizer's performance-risk scale)."""

    score: int
    sub_scores: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The score's label: 'very low' (0) … 'high' (4)."""
        return RISK_LABELS[self.score]


@dataclass(frozen=True, slots=True)
class SlaSummary:
    """The SLA engine's verdict on the proposed config, reduced to what a reviewer reads."""

    passes: bool
    projected_p95_ms: float
    hours_within_target_pct: float
    peak_utilization: float
    n_plus_one_ok: bool
    availability_ok: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Confidence:
    """How much data backs the decision, and a VPA-style lower/upper band on the sized value."""

    points: int
    days: float
    lower: float | None = None
    upper: float | None = None
    unit: str = ""


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One rule's output for one scope (a service, a team or the fleet)."""

    kind: RecommendationKind
    outcome: Outcome
    reason: str
    service_id: int | None = None
    scope: str = "service"
    current: CapacityConfig | None = None
    proposed: CapacityConfig | None = None
    cost_current: Money | None = None
    cost_proposed: Money | None = None
    risk: Risk = field(default_factory=lambda: Risk(0))
    sla: SlaSummary | None = None
    confidence: Confidence | None = None
    explanation: dict[str, Any] = field(default_factory=dict)
    effort: Literal["very low", "low", "medium", "high"] = "low"
    restart_needed: bool = False
    rollback_possible: bool = True
    currency: str = "USD"

    @property
    def monthly_savings_usd(self) -> float:
        """Effective monthly savings (what the bill changes by); 0 without a proposal."""
        if self.cost_current is None or self.cost_proposed is None:
            return 0.0
        return self.cost_current.effective_usd - self.cost_proposed.effective_usd

    @property
    def savings_pct(self) -> float:
        """100 × monthly savings / current effective cost (0 when that cost is 0 or unknown)."""
        if self.cost_current is None or self.cost_current.effective_usd <= 0:
            return 0.0
        return 100.0 * self.monthly_savings_usd / self.cost_current.effective_usd

    @property
    def key(self) -> str:
        """Stable identity (scope + kind + proposed config) so recompute can upsert and suppress."""
        proposed = asdict(self.proposed) if self.proposed else None
        payload = json.dumps([self.service_id, self.scope, self.kind, proposed], sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:32]


def worth_making(current: Money, proposed: Money) -> bool:
    """A change is worth proposing only if it saves ≥ 5 % and ≥ $10 a month (effective)."""
    savings = current.effective_usd - proposed.effective_usd
    if current.effective_usd <= 0:
        return False
    return savings >= MIN_SAVINGS_USD and 100.0 * savings / current.effective_usd >= MIN_SAVINGS_PCT
