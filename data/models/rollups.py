"""What the sidecar pre-aggregates for the pages, so a visit reads one row per service."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, Json


class ServiceUsage7dRow(Base):
    """One service's 7 × 24 hours before `window_end` (the fleet's newest usage hour's end when
    the rollup ran): the nearest-rank p95 of hourly mean CPU used, in cores, and the hours
    counted. In cores, not as a share of capacity: an applied change moves the capacity, and
    the page divides by the current one (the same rank, since capacity is one positive factor).
    A service without hours in the window has a row with `hours` 0 and no p95.
    Its SLA hours (`sql.sla_hours`: hours with a latency sample, hours over target) were counted
    against `latency_p95_target_ms` as it was then; none when the service had no hours."""

    __tablename__ = "service_usage_7d"

    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )
    window_end: Mapped[datetime]
    cpu_used_p95_cores: Mapped[float | None] = mapped_column(Float)
    hours: Mapped[int] = mapped_column(Integer)
    latency_hours: Mapped[int | None] = mapped_column(Integer)
    breach_hours: Mapped[int | None] = mapped_column(Integer)
    latency_p95_target_ms: Mapped[float] = mapped_column(Float)
    computed_at: Mapped[datetime]


class ScopeCostSeriesRow(Base):
    """The fleet's or one team's effective cost per day from `first_day` to `last_day` in one
    currency, summed as `budget_status.scope_daily_costs` sums it (None: no cost row that
    day). Valid while the cost and service tables still match the stamp taken with it: the
    newest cost row id and the count of cost rows, the newest service id and the count of
    services (cost rows are only ever inserted or deleted; a deleted service moves its cost
    to unallocated)."""

    __tablename__ = "scope_cost_series"

    scope_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    scope_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    billing_currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    daily_cost: Mapped[Json]
    stamp: Mapped[str] = mapped_column(String(120))
    computed_at: Mapped[datetime]


class ServiceCostDailyRow(Base):
    """One service's (NULL: unallocated) effective cost on one day in one currency: the
    sidecar's sum of that day's cost rows over their FOCUS categories, what the Overview's cost
    sums read instead of the rows (about 4× fewer). Valid while `CostRollupStateRow`'s stamp
    holds; the service's team, environment and platform are joined at read time, as for rows."""

    __tablename__ = "service_cost_daily"
    __table_args__ = (
        # Covers the date-range sums (as ix_cost_daily_date_covering does for the rows).
        Index(
            "ix_service_cost_daily_covering",
            "charge_date",
            "billing_currency",
            "service_id",
            "effective_cost",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    charge_date: Mapped[date] = mapped_column(Date)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id", ondelete="SET NULL"))
    billing_currency: Mapped[str] = mapped_column(String(3))
    effective_cost: Mapped[Decimal]


class CostRollupStateRow(Base):
    """When `service_cost_daily` was written, over which charged days, and the stamp of the cost
    and service tables taken before summing (`scope_cost_rollup.stamp`)."""

    __tablename__ = "cost_rollup_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    stamp: Mapped[str] = mapped_column(String(120))
    computed_at: Mapped[datetime]
