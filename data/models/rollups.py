"""What the sidecar pre-aggregates for the pages, so a visit reads one row per service."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Integer, String
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
