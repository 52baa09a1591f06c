"""What a rule returns: a change with dollars, risk, SLA verdict and explanation, or a reason."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, Literal, cast

from engine.capacity import CapacityConfig
from engine.explanation import NO_EXPLANATION, Explanation
from engine.pickling import by_constructor
from engine.risk import RISK_LABELS

RuleName = Literal[
    "rightsize", "horizontal", "joint", "idle", "off_hours", "commitment", "container_rightsize"
]
# A rule's proposal is of its own kind, except a costlier change that brings a config failing
# its SLA back within it: that is "restore_sla", a cost to pay, never a saving.
RecommendationKind = Literal[RuleName, "restore_sla"]
RESTORE_SLA: RecommendationKind = "restore_sla"
RecommendationOutcome = Literal[
    "recommend",
    "not_enough_data",
    "no_change_worth_making",
    "already_optimal",
    "not_applicable",
    "sla_unreachable",  # no configuration searched keeps the SLA
    "merged",  # the same config as another rule's proposal, offered once as that one
]
MIN_SAVINGS_PCT = 5.0
MIN_SAVINGS_USD = 10.0
# risk-adjusted savings = monthly savings × (1 − risk / RISK_DISCOUNT_DIVISOR): risk 0 keeps it
# all, risk 4 ("high") keeps a fifth, so a safe $100 outranks a risky $400.
RISK_DISCOUNT_DIVISOR = 5
# A config's fields by name, read in one call: its dict for the key without `asdict`, which
# deep-copies every leaf (a third of preparing a result for the write; decision 029).
_CONFIG_FIELDS = tuple(f.name for f in fields(CapacityConfig))
_config_values = attrgetter(*_CONFIG_FIELDS)
# json.dumps(..., sort_keys=True) builds an encoder per call; this one encodes the same text.
_KEY_JSON = json.JSONEncoder(sort_keys=True)


@by_constructor
@dataclass(frozen=True, slots=True)
class Money:
    """Monthly (730 h) cost of a config: list (on-demand) and effective (after discounts)."""

    list_usd: float
    effective_usd: float


@by_constructor
@dataclass(frozen=True, slots=True)
class Risk:
    """Risk 0–4 = the max of its sub-scores (AWS Compute Optimizer's performance-risk scale)."""

    score: int
    sub_scores: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The score's label: 'very low' (0) … 'high' (4)."""
        return RISK_LABELS[self.score]


@by_constructor
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


@by_constructor
@dataclass(frozen=True, slots=True)
class Confidence:
    """How much data backs the decision, and a VPA-style lower/upper band on the sized value."""

    points: int
    days: float
    lower: float | None = None
    upper: float | None = None
    unit: str = ""


@by_constructor
@dataclass(frozen=True, slots=True)
class Recommendation:
    """One rule's output for one scope (a service, a team or the fleet)."""

    kind: RecommendationKind
    outcome: RecommendationOutcome
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
    explanation: Explanation = NO_EXPLANATION
    effort: Literal["very low", "low", "medium", "high"] = "low"
    restart_needed: bool = False
    rollback_possible: bool = True
    currency: str = "USD"
    rule: RuleName | None = None  # the rule that proposed it, when its kind is not the rule's

    def __post_init__(self) -> None:
        if self.kind == RESTORE_SLA and self.rule is None:
            raise ValueError("a restore_sla recommendation names the rule that found it")

    @property
    def rule_name(self) -> RuleName:
        """The rule that produced this value: `rule`, else the kind (a rule's own kind)."""
        return self.rule or cast(RuleName, self.kind)

    @property
    def offerable(self) -> bool:
        """A proposal may be offered only if its own SLA verdict passes (or it has none: a
        commitment or a decommission changes no serving capacity to judge)."""
        return self.outcome == "recommend" and (self.sla is None or self.sla.passes)

    @property
    def risk_adjusted_savings_usd(self) -> float:
        """Monthly savings × (1 − risk / 5) (`risk_adjusted`)."""
        return risk_adjusted(self.monthly_savings_usd, self.risk.score)

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
    def target(self) -> int | str:
        """What the change is made to: the service, else the scope (a team, the fleet)."""
        return self.service_id if self.service_id is not None else self.scope

    @property
    def key(self) -> str:
        """Stable identity of the proposal — its target and the proposed config — by which
        recompute upserts, dedupes and suppresses. Neither the rule nor the kind is part of it:
        two rules proposing one config propose one change, and rejecting it rejects both."""
        proposed = self.proposed
        if proposed is None:
            return proposal_key(self.target, None)
        return proposal_key(
            self.target, dict(zip(_CONFIG_FIELDS, _config_values(proposed), strict=True))
        )


def proposal_key(target: int | str, proposed: dict[str, Any] | None) -> str:
    """sha256 of the JSON [target, proposed config] (keys sorted), first 32 hex digits."""
    payload = _KEY_JSON.encode([target, proposed])
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def is_savings_kind(kind: str) -> bool:
    """Every kind but restore_sla proposes a saving; a restore's cost increase is never summed
    with savings (totals, rankings)."""
    return kind != RESTORE_SLA


def risk_adjusted(monthly_savings_usd: float, risk_score: int) -> float:
    """Savings × (1 − risk / 5): the backlog's ranking key (RISK_DISCOUNT_DIVISOR)."""
    return monthly_savings_usd * (1.0 - risk_score / RISK_DISCOUNT_DIVISOR)


def worth_making(current: Money, proposed: Money) -> bool:
    """A change is worth proposing only if it saves ≥ 5 % and ≥ $10 a month (effective)."""
    savings = current.effective_usd - proposed.effective_usd
    if current.effective_usd <= 0:
        return False
    return savings >= MIN_SAVINGS_USD and 100.0 * savings / current.effective_usd >= MIN_SAVINGS_PCT
