"""The API's response bodies (pydantic at the edge; the data layer hands frozen dataclasses).

Money is an object `{"amount": "123.45", "currency": "USD"}`: a decimal string, so no client
parses a float, and the currency always beside it. Costs name their basis: `billed` (what the
bill says, FOCUS BilledCost / EffectiveCost / ListCost) or `modelled` (what Tightrope's cost
model prices a config at: a recommendation's current and proposed costs).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CostBasis = Literal["billed", "modelled"]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Money(Model):
    amount: str
    currency: str

    @classmethod
    def of(cls, value: float | Decimal, currency: str) -> Money:
        return cls(amount=f"{Decimal(str(value)):.2f}", currency=currency)


class Health(Model):
    status: Literal["ok"]


class Service(Model):
    id: int
    slug: str
    name: str
    team: str
    owner: str
    environment: str
    platform: str
    provider: str
    region: str
    policy_class: str


class DailyCost(Model):
    charge_date: date
    service_category: str
    billed_cost: Money
    effective_cost: Money
    list_cost: Money


class DailyCosts(Model):
    service_id: int
    basis: CostBasis
    start: date
    end: date
    items: list[DailyCost]


class ModelledCost(Model):
    basis: CostBasis
    list_cost: Money
    effective_cost: Money


class Handoff(Model):
    """Where an applied (or rolled-back) change went (decision 023). Tightrope never changes the
    cluster or the cloud itself: `handed_off` means committed and pushed to the GitOps
    repository, `recorded_only` that nothing outside Tightrope changed."""

    action: Literal["apply", "rollback"]
    status: Literal["pending", "pushing", "handed_off", "recorded_only", "failed"]
    label: str
    change_id: int
    target: str
    branch: str | None
    commit: str | None
    path: str | None
    error: str | None
    attempts: int
    next_attempt_at: datetime | None
    webhook_event_id: int | None
    webhook_delivery_ids: list[int]
    manifest: str


class Recommendation(Model):
    id: int
    version: int
    etag: str
    status: str
    service_id: int | None
    scope: str
    kind: str
    rule: str
    reason: str
    monthly_savings: Money
    savings_pct: float
    cost_current: ModelledCost
    cost_proposed: ModelledCost
    risk_score: int
    effort: str
    restart_needed: bool
    rollback_possible: bool
    current_config: dict[str, Any] | None
    proposed_config: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    postponed_until: datetime | None
    suppressed_until: datetime | None
    decision_reason: str | None
    handoff_summary: str | None = Field(
        default=None,
        description="Applied or rolled back: 'recorded and handed off (commit … on branch …)' "
        "or 'recorded only — not changed anywhere'; null while undecided.",
    )
    handoffs: list[Handoff] = Field(default_factory=list)


class RecommendationDetail(Recommendation):
    explanation: dict[str, Any]


class RecommendationPage(Model):
    items: list[Recommendation]
    next_cursor: str | None


class Outcome(Model):
    recommendation_id: int | None
    change_id: int | None
    status: str
    version: int | None
    message: str
    handoff: str | None = None


class BulkOutcome(Model):
    items: list[Outcome]


class Budget(Model):
    id: int
    scope_type: str
    scope_key: str
    month: date
    amount: Money
    month_to_date_cost: Money
    forecast_cost: Money
    state: str
    version: int


class Anomaly(Model):
    id: int
    service_id: int
    service_slug: str
    team: str
    charge_date: date
    effective_cost: Money
    baseline_cost: Money
    robust_z: float
    direction: str
    status: str
    acknowledged_by: str | None


class JobRun(Model):
    status: str
    started_at: datetime
    finished_at: datetime | None
    rows: int
    error: str | None


class JobStatus(Model):
    job: str
    last_run: JobRun | None
    last_success: JobRun | None
    last_error: JobRun | None
    runs_24h: int
    failures_24h: int
    pending: bool


class Simulation(Model):
    id: int
    service_id: int | None
    team: str | None
    name: str
    created_by: str
    created_at: datetime
    scenario: dict[str, Any]
    summary: dict[str, Any] | None


class Promotion(Model):
    recommendation_id: int
    created: bool
