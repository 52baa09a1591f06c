"""Recommendations, their rule outcomes, saved simulations and applied config changes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import LIVE_RECOMMENDATION, Base, Json


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
