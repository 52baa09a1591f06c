"""Billing data: daily costs, deliveries and their parts, scopes, commitments, anomalies."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, Json


class CostDailyRow(Base):
    """Daily cost of one service (NULL = unallocated) and FOCUS service category, per currency."""

    __tablename__ = "cost_daily"
    __table_args__ = (
        Index("ix_cost_daily_service_date", "service_id", "charge_date"),
        # Covers the date-range sums of the fleet pages (migration 0017): read in (day,
        # currency) order from the index, no row lookups and no sort to group.
        Index(
            "ix_cost_daily_date_covering",
            "charge_date",
            "billing_currency",
            "service_id",
            "team",
            "effective_cost",
        ),
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
