"""The schema: typed SQLAlchemy 2.0 rows (`...Row`) with a stable constraint naming convention."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from data.types import MoneyNumeric, PortableJSON, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
Json = dict[str, Any]
# Recommendations a recompute still refreshes (data.repos.recommendations.LIVE_STATUSES).
LIVE_RECOMMENDATION = "status IN ('open', 'postponed')"


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention Alembic relies on."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: MoneyNumeric, Json: PortableJSON}


class ServiceRow(Base):
    """A service in the catalog: ownership, placement, SLA, telemetry and billing mapping."""

    __tablename__ = "service"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    team: Mapped[str] = mapped_column(String(80), index=True)
    owner: Mapped[str] = mapped_column(String(200))
    environment: Mapped[str] = mapped_column(String(20), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(40))
    policy_class: Mapped[str] = mapped_column(String(30))
    latency_p95_target_ms: Mapped[float] = mapped_column(Float)
    availability_target_pct: Mapped[float] = mapped_column(Float)
    max_error_rate_pct: Mapped[float] = mapped_column(Float)
    telemetry_selector: Mapped[Json] = mapped_column(default=dict)
    allocation_rule: Mapped[Json] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_at: Mapped[datetime]


class CapacityConfigRow(Base):
    """One version of a service's capacity; exactly one row per service is current."""

    __tablename__ = "capacity_config"
    __table_args__ = (
        UniqueConstraint("service_id", "version"),
        Index("ix_capacity_config_current", "service_id", "is_current"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean)
    replicas: Mapped[int] = mapped_column(Integer)
    min_replicas: Mapped[int] = mapped_column(Integer)
    zones: Mapped[int] = mapped_column(Integer)
    instance_type: Mapped[str | None] = mapped_column(String(40))
    cpu_request_cores: Mapped[float | None] = mapped_column(Float)
    memory_request_gib: Mapped[float | None] = mapped_column(Float)
    # Per-replica capacity resolved when the config is written (catalog for VMs, requests for
    # pods), so utilization queries can divide in SQL.
    vcpu_per_replica: Mapped[float] = mapped_column(Float)
    memory_gib_per_replica: Mapped[float] = mapped_column(Float)
    commitment_coverage_pct: Mapped[float] = mapped_column(Float, default=0.0)
    spot_pct: Mapped[float] = mapped_column(Float, default=0.0)
    schedule: Mapped[str] = mapped_column(String(80), default="always")
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(120))


class UsageHourlyRow(Base):
    """Service-level usage for one hour (all replicas together)."""

    __tablename__ = "usage_hourly"

    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )
    hour_start: Mapped[datetime] = mapped_column(primary_key=True, index=True)
    cpu_used_mean_cores: Mapped[float] = mapped_column(Float)
    cpu_used_p95_cores: Mapped[float] = mapped_column(Float)
    memory_used_max_gib: Mapped[float] = mapped_column(Float)
    # NULL: the service has no request metrics (not "no requests": that is 0).
    requests_per_s: Mapped[float | None] = mapped_column(Float)
    latency_p95_ms: Mapped[float | None] = mapped_column(Float)
    error_rate_pct: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(40))


class CostDailyRow(Base):
    """Daily cost of one service (NULL = unallocated) and FOCUS service category, per currency."""

    __tablename__ = "cost_daily"
    __table_args__ = (
        Index("ix_cost_daily_service_date", "service_id", "charge_date"),
        Index("ix_cost_daily_date", "charge_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id", ondelete="SET NULL"))
    charge_date: Mapped[date] = mapped_column(Date)
    service_category: Mapped[str] = mapped_column(String(40))
    billing_currency: Mapped[str] = mapped_column(String(3))
    billed_cost: Mapped[Decimal]
    effective_cost: Mapped[Decimal]
    list_cost: Mapped[Decimal]
    provider: Mapped[str] = mapped_column(String(40))
    sub_account_id: Mapped[str | None] = mapped_column(String(120))
    ingested_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("ingested_file.id", ondelete="CASCADE"), index=True
    )
    # FOCUS provenance (NULL for rows written before 0003): the partition a restatement replaces,
    # the charge category (credits stay apart from usage), and how the row was allocated.
    charge_category: Mapped[str | None] = mapped_column(String(20))
    billing_account_id: Mapped[str | None] = mapped_column(String(200))
    billing_period_start: Mapped[datetime | None]
    team: Mapped[str | None] = mapped_column(String(80))
    allocated_by: Mapped[str | None] = mapped_column(String(20))


class RecommendationRow(Base):
    """A proposed change with its dollars, risk, SLA verdict and workflow state."""

    __tablename__ = "recommendation"
    __table_args__ = (
        Index("ix_recommendation_status_savings", "status", "monthly_savings_usd"),
        Index("ix_recommendation_service_status", "service_id", "status"),
        # One live row per proposal (target + config): two rules, a rerun or a promoted
        # scenario can never offer the same change twice.
        Index(
            "uq_recommendation_live_fingerprint",
            "fingerprint",
            unique=True,
            sqlite_where=text(LIVE_RECOMMENDATION),
            postgresql_where=text(LIVE_RECOMMENDATION),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(120), default="service")
    kind: Mapped[str] = mapped_column(String(30))
    rule: Mapped[str] = mapped_column(String(30))  # the rule that proposed it (kind may differ)
    status: Mapped[str] = mapped_column(String(20), default="open")
    current_config: Mapped[Json]
    proposed_config: Mapped[Json]
    monthly_cost_current_list_usd: Mapped[Decimal]
    monthly_cost_current_effective_usd: Mapped[Decimal]
    monthly_cost_proposed_list_usd: Mapped[Decimal]
    monthly_cost_proposed_effective_usd: Mapped[Decimal]
    monthly_savings_usd: Mapped[Decimal]
    savings_pct: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    risk_score: Mapped[int] = mapped_column(Integer)
    sla_verdict: Mapped[Json] = mapped_column(default=dict)
    explanation: Mapped[Json] = mapped_column(default=dict)
    confidence: Mapped[Json] = mapped_column(default=dict)
    effort: Mapped[str] = mapped_column(String(20), default="low")
    restart_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    rollback_possible: Mapped[bool] = mapped_column(Boolean, default=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    postponed_until: Mapped[datetime | None]
    suppressed_until: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Optimistic concurrency: the second of two conflicting decisions sees a stale version.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class SimulationRow(Base):
    """A saved what-if scenario and the summary of its result."""

    __tablename__ = "simulation"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    team: Mapped[str | None] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    scenario: Mapped[Json]
    summary: Mapped[Json]
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]


class ConfigChangeRow(Base):
    """An applied capacity change with before/after, who, when, and its rollback."""

    __tablename__ = "config_change"
    __table_args__ = (Index("ix_config_change_service_applied", "service_id", "applied_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))
    recommendation_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommendation.id", ondelete="SET NULL")
    )
    before: Mapped[Json]
    after: Mapped[Json]
    status: Mapped[str] = mapped_column(String(20), default="applied")
    actor: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[datetime]
    rolled_back_at: Mapped[datetime | None]
    rolled_back_by: Mapped[str | None] = mapped_column(String(120))


class AuditEventRow(Base):
    """Append-only audit trail of every mutating action, hash-chained in id order
    (data.audit_chain): `hash` covers the event and `prev_hash`, the previous event's hash.
    prev_hash is unique: two writers that read the same chain head cannot both append."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str] = mapped_column(String(120))
    before: Mapped[Json | None]
    after: Mapped[Json | None]
    detail: Mapped[Json] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64))


class BudgetRow(Base):
    """A monthly budget for a team or a service, in one currency."""

    __tablename__ = "budget"
    __table_args__ = (UniqueConstraint("scope_type", "scope_key", "month", "currency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_type: Mapped[str] = mapped_column(String(20))
    scope_key: Mapped[str] = mapped_column(String(120))
    month: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class IngestedFileRow(Base):
    """One billing delivery (a file, the parts of one export, or an API pull): identity, period,
    counts, totals and findings. `content_sha256` is the delivery's identity: a one-file
    delivery's own hash, else the hash of its parts' sorted hashes (decision 011)."""

    __tablename__ = "ingested_file"
    __table_args__ = (
        Index("ix_ingested_file_period", "source", "billing_account_id", "billing_period_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(80))
    file_name: Mapped[str] = mapped_column(String(400))
    content_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    focus_version: Mapped[str | None] = mapped_column(String(10))
    billing_account_id: Mapped[str | None] = mapped_column(String(120))
    billing_period_start: Mapped[datetime | None]
    billing_period_end: Mapped[datetime | None]
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    totals: Mapped[Json] = mapped_column(default=dict)
    warnings: Mapped[Json] = mapped_column(default=dict)
    errors: Mapped[Json] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20))
    ingested_at: Mapped[datetime]
    superseded_at: Mapped[datetime | None]
    # How many files made the delivery, and when the export says it was made (an Azure
    # manifest's submittedTime; None when the delivery does not say).
    part_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    exported_at: Mapped[datetime | None]


class DeliveryPartRow(Base):
    """One file of a delivery: its name and content hash (a file may recur in later deliveries)."""

    __tablename__ = "delivery_part"

    id: Mapped[int] = mapped_column(primary_key=True)
    ingested_file_id: Mapped[int] = mapped_column(
        ForeignKey("ingested_file.id", ondelete="CASCADE"), index=True
    )
    part_name: Mapped[str] = mapped_column(String(400))
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)


class BillingScopeRow(Base):
    """The one delivery that owns a FOCUS scope (provider, billing account, billing period).

    Unique per (billing account, period start): the same account under two provider names is
    refused rather than stored twice. `charged_through` (the scope's last charge day) and
    `exported_at` order deliveries: an older one never replaces a newer one.
    """

    __tablename__ = "billing_scope"
    __table_args__ = (UniqueConstraint("billing_account_id", "billing_period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(200))
    billing_account_id: Mapped[str] = mapped_column(String(200))
    billing_period_start: Mapped[datetime]
    billing_period_end: Mapped[datetime]
    ingested_file_id: Mapped[int] = mapped_column(
        ForeignKey("ingested_file.id", ondelete="CASCADE"), index=True
    )
    charged_through: Mapped[date] = mapped_column(Date)
    exported_at: Mapped[datetime | None]
    loaded_at: Mapped[datetime]


class JobRunRow(Base):
    """One run of a sidecar job: window, outcome, counts and timing."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20))
    window_start: Mapped[datetime | None]
    window_end: Mapped[datetime | None]
    rows: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)


class JobRequestRow(Base):
    """An operator's "Run now": queued by the dashboard, claimed and finished by a sidecar."""

    __tablename__ = "job_request"
    __table_args__ = (Index("ix_job_request_job_status", "job", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    requested_by: Mapped[str] = mapped_column(String(120))
    requested_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # "pending" → "claimed" (a sidecar took it) → "done" | "failed".
    status: Mapped[str] = mapped_column(String(20))


class RuleOutcomeRow(Base):
    """The latest outcome of one rule for one service, also when it proposes nothing (and why)."""

    __tablename__ = "rule_outcome"

    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text)
    evaluated_at: Mapped[datetime]


class CommitmentDailyRow(Base):
    """One commitment's used and unused EffectiveCost for one day, from one FOCUS delivery."""

    __tablename__ = "commitment_daily"
    __table_args__ = (
        Index("ix_commitment_daily_commitment_date", "commitment_discount_id", "charge_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Rows go with their delivery: a restatement or a superseded file takes its rows along.
    ingested_file_id: Mapped[int] = mapped_column(
        ForeignKey("ingested_file.id", ondelete="CASCADE"), index=True
    )
    commitment_discount_id: Mapped[str] = mapped_column(String(400))
    commitment_discount_name: Mapped[str | None] = mapped_column(String(400))
    commitment_discount_type: Mapped[str | None] = mapped_column(String(80))
    charge_date: Mapped[date] = mapped_column(Date)
    billing_currency: Mapped[str] = mapped_column(String(3))
    billing_account_id: Mapped[str | None] = mapped_column(String(200))
    used_effective_cost: Mapped[Decimal]
    unused_effective_cost: Mapped[Decimal]


class CostAnomalyRow(Base):
    """A day whose cost for one service broke from its robust baseline, with what drove it."""

    __tablename__ = "cost_anomaly"
    __table_args__ = (UniqueConstraint("service_id", "charge_date", "billing_currency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))
    charge_date: Mapped[date] = mapped_column(Date)
    billing_currency: Mapped[str] = mapped_column(String(3))
    effective_cost: Mapped[Decimal]
    baseline_cost: Mapped[Decimal]
    robust_z: Mapped[float] = mapped_column(Float)
    # "spike" | "drop"; drivers lists the service categories (and their deltas) behind it.
    direction: Mapped[str] = mapped_column(String(10))
    drivers: Mapped[Json] = mapped_column(default=dict)
    detected_at: Mapped[datetime]
    # "open" → "acknowledged" (by whom, when).
    status: Mapped[str] = mapped_column(String(20), default="open")
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))
    acknowledged_at: Mapped[datetime | None]


class BudgetAlertRow(Base):
    """The latest check of one budget: month-to-date, forecast and alert state."""

    __tablename__ = "budget_alert"

    budget_id: Mapped[int] = mapped_column(
        ForeignKey("budget.id", ondelete="CASCADE"), primary_key=True
    )
    # "ok" | "at_risk" | "over"; changed_at says since when the state holds.
    state: Mapped[str] = mapped_column(String(20))
    month_to_date: Mapped[Decimal]
    forecast: Mapped[Decimal]
    checked_at: Mapped[datetime]
    changed_at: Mapped[datetime]


class AppUserRow(Base):
    """A person who logged in through OIDC: the name shown beside their stable audit actor."""

    __tablename__ = "app_user"

    # Principal.actor: what audit_event.actor and the other *_by columns hold for this person.
    actor: Mapped[str] = mapped_column(String(120), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(400))
    subject: Mapped[str] = mapped_column(String(255))
    display: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    first_login_at: Mapped[datetime]
    last_login_at: Mapped[datetime]
    # `iat` of the ID token behind the last login: a new token is a new login (audited once).
    last_token_issued_at: Mapped[datetime]
