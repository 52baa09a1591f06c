"""Read models for the dashboard pages: fleet aggregates computed in SQL, returned as DataFrames.

Conventions of every function here:
- money stays in its `billing_currency` and is never summed across currencies (every cost
  aggregate groups by currency); `effective_cost` is FOCUS's amortized, after-discount cost;
- day windows are inclusive (`start` and `end` are both charged days); hour windows are
  half-open (`start <= hour_start < end`), all in UTC;
- "today" is passed in by the caller (the newest data, not the wall clock);
- column names carry their unit (`_cores`, `_gib`, `_ms`, `_pct`, `monthly_`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Executable,
    Select,
    and_,
    case,
    func,
    inspect,
    literal,
    select,
)
from sqlalchemy.orm import Session

from data.models import CapacityConfigRow, CostDailyRow, ServiceRow, UsageHourlyRow
from engine.units import HOURS_PER_DAY, HOURS_PER_MONTH

UNALLOCATED = "(unallocated)"
RUN_RATE_DAYS = 30
SLA_WINDOW_DAYS = 7
# A service breaches its latency SLA when p95 latency is over target in more than 1 % of the
# hours that have a latency sample (the 99 % tolerance of the product brief).
SLA_BREACH_TOLERANCE_PCT = 1
CPU_PERCENTILE = 95

Dimension = Literal["environment", "platform"]
SlaStatus = Literal["breaching", "within", "no_data"]
_DIMENSIONS: dict[str, Any] = {
    "environment": ServiceRow.environment,
    "platform": ServiceRow.platform,
}


@dataclass(frozen=True, slots=True)
class Filters:
    """Which services a page looks at; an empty tuple means "all"."""

    teams: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.teams or self.environments or self.platforms)


@dataclass(frozen=True, slots=True)
class FleetStatus:
    """What the database holds: is it migrated, how many services, how fresh the inputs are."""

    schema_ready: bool
    services: int
    cost_date: date | None
    usage_hour: datetime | None
    first_cost_date: date | None = None

    @property
    def today(self) -> date | None:
        """The as-of day of the pages: the newest charged day, else the newest usage day."""
        if self.cost_date is not None:
            return self.cost_date
        return self.usage_hour.date() if self.usage_hour is not None else None

    @property
    def usage_end(self) -> datetime | None:
        """Exclusive end of the newest usage hour."""
        return self.usage_hour + timedelta(hours=1) if self.usage_hour is not None else None


@dataclass(frozen=True, slots=True)
class FilterOptions:
    """Distinct values offered by the sidebar filters, sorted."""

    teams: tuple[str, ...]
    environments: tuple[str, ...]
    platforms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CurrencyRunRate:
    """Effective cost of the last two 30-day windows in one billing currency.

    `days_in_window` is 30 unless the cost history is younger than that; the previous
    window only counts when the history covers all of it.
    """

    billing_currency: str
    effective_cost_last_30d: float
    effective_cost_prev_30d: float
    days_in_window: int = RUN_RATE_DAYS
    previous_window_complete: bool = True

    @property
    def monthly_run_rate(self) -> float:
        return monthly_run_rate(self.effective_cost_last_30d, days=self.days_in_window)

    @property
    def change_30d_pct(self) -> float | None:
        """Change against the previous 30 days; None without a full, non-zero baseline."""
        if not self.previous_window_complete or self.effective_cost_prev_30d <= 0:
            return None
        previous = self.effective_cost_prev_30d
        return (self.effective_cost_last_30d - previous) / previous * 100.0


@dataclass(frozen=True, slots=True)
class FleetKpis:
    """The Overview KPI row; costs per currency, largest run-rate first."""

    run_rates: tuple[CurrencyRunRate, ...]
    services: int
    services_breaching_sla_7d: int


def monthly_run_rate(effective_cost: float, *, days: int = RUN_RATE_DAYS) -> float:
    """Cost of the last `days` (30, fewer only for a younger history) × 730 h / (days × 24 h)."""
    return effective_cost * HOURS_PER_MONTH / (max(days, 1) * HOURS_PER_DAY)


def run_rate_days(today: date, first_cost_date: date | None) -> int:
    """Days of the 30-day window ending `today` that the cost history covers (1..30)."""
    if first_cost_date is None:
        return RUN_RATE_DAYS
    covered = (today - first_cost_date).days + 1
    return max(1, min(RUN_RATE_DAYS, covered))


def fleet_status(session: Session) -> FleetStatus:
    """Schema presence, active service count and the newest cost day and usage hour."""
    if not inspect(session.connection()).has_table(ServiceRow.__tablename__):
        return FleetStatus(schema_ready=False, services=0, cost_date=None, usage_hour=None)
    services = session.scalar(select(func.count(ServiceRow.id)).where(ServiceRow.active)) or 0
    first_cost, last_cost = session.execute(
        select(func.min(CostDailyRow.charge_date), func.max(CostDailyRow.charge_date))
    ).one()
    usage_hour = session.scalar(select(func.max(UsageHourlyRow.hour_start)))
    return FleetStatus(
        schema_ready=True,
        services=services,
        cost_date=_as_date(last_cost),
        usage_hour=_as_utc(usage_hour),
        first_cost_date=_as_date(first_cost),
    )


def filter_options(session: Session) -> FilterOptions:
    """Teams, environments and platforms of active services."""

    def distinct_of(column: Any) -> tuple[str, ...]:
        query = select(column).where(ServiceRow.active).distinct().order_by(column)
        return tuple(session.scalars(query))

    return FilterOptions(
        teams=distinct_of(ServiceRow.team),
        environments=distinct_of(ServiceRow.environment),
        platforms=distinct_of(ServiceRow.platform),
    )


def fleet_kpis(
    session: Session, *, filters: Filters, today: date, usage_end: datetime | None = None
) -> FleetKpis:
    """Run-rate and 30-day change per currency, service count and SLA breaches.

    Run-rate: effective cost of days [today-29, today] × 730 / (30 × 24); when the cost history
    starts inside that window, the days it covers replace the 30. Change: that window against
    days [today-59, today-30], only when the history covers all of them. Breaches: services
    whose p95 latency exceeded target in more than 1 % of their hours with a latency sample in
    the 7 × 24 hours before `usage_end` (default: the end of `today`).
    """
    usage_end = usage_end or _end_of_day(today)
    services = session.scalar(
        select(func.count(ServiceRow.id)).where(ServiceRow.active, *_conditions(filters))
    )
    sla = _sla_hours(filters, usage_end - timedelta(days=SLA_WINDOW_DAYS), usage_end)
    breaching = session.scalar(select(func.count()).select_from(sla).where(_breaching(sla)))
    return FleetKpis(
        run_rates=_run_rates(session, filters, today),
        services=services or 0,
        services_breaching_sla_7d=breaching or 0,
    )


def daily_cost_by_team(
    session: Session, *, filters: Filters, start: date, end: date
) -> pd.DataFrame:
    """Effective cost per day, team and currency; unallocated cost is a team of its own."""
    team = func.coalesce(ServiceRow.team, literal(UNALLOCATED)).label("team")
    query = _cost_query(
        filters,
        start,
        end,
        CostDailyRow.charge_date,
        team,
        CostDailyRow.billing_currency,
        func.sum(CostDailyRow.effective_cost).label("effective_cost"),
    ).group_by(CostDailyRow.charge_date, team, CostDailyRow.billing_currency)
    return _frame(session, query.order_by(CostDailyRow.charge_date, team))


def top_services_by_cost(
    session: Session, *, filters: Filters, start: date, end: date, limit: int = 10
) -> pd.DataFrame:
    """The `limit` services with the highest effective cost over [start, end], per currency."""
    total = func.sum(CostDailyRow.effective_cost).label("effective_cost")
    query = (
        select(
            ServiceRow.id.label("service_id"),
            ServiceRow.slug,
            ServiceRow.name,
            ServiceRow.team,
            CostDailyRow.billing_currency,
            total,
        )
        .join(ServiceRow, CostDailyRow.service_id == ServiceRow.id)
        .where(_charged_between(start, end), *_conditions(filters))
        .group_by(
            ServiceRow.id,
            ServiceRow.slug,
            ServiceRow.name,
            ServiceRow.team,
            CostDailyRow.billing_currency,
        )
        .order_by(total.desc(), ServiceRow.slug)
        .limit(limit)
    )
    return _frame(session, query)


def cost_by(
    session: Session, dimension: Dimension, *, filters: Filters, start: date, end: date
) -> pd.DataFrame:
    """Effective cost over [start, end] per environment or platform, per currency."""
    if dimension not in _DIMENSIONS:
        raise ValueError(f"dimension must be one of {sorted(_DIMENSIONS)}, not {dimension!r}")
    key = func.coalesce(_DIMENSIONS[dimension], literal(UNALLOCATED)).label(dimension)
    total = func.sum(CostDailyRow.effective_cost).label("effective_cost")
    query = (
        _cost_query(filters, start, end, key, CostDailyRow.billing_currency, total)
        .group_by(key, CostDailyRow.billing_currency)
        .order_by(total.desc())
    )
    return _frame(session, query)


def services_table(
    session: Session, *, filters: Filters, today: date, usage_end: datetime | None = None
) -> pd.DataFrame:
    """One row per active service (per currency when it is billed in several).

    Monthly cost is the run-rate rule of `fleet_kpis` (history coverage is fleet-wide). CPU
    p95 utilization is the 95th percentile (nearest rank) of hourly mean CPU used ÷ current
    CPU capacity over the 7 × 24 hours before `usage_end`. SLA status follows the breach rule
    of `fleet_kpis`.
    """
    usage_end = usage_end or _end_of_day(today)
    usage_start = usage_end - timedelta(days=SLA_WINDOW_DAYS)
    days = run_rate_days(today, _first_cost_date(session))
    costs = _service_costs(today)
    cpu = _cpu_utilization_p95(usage_start, usage_end)
    sla = _sla_hours(filters, usage_start, usage_end)
    config = CapacityConfigRow
    query = (
        select(
            ServiceRow.id.label("service_id"),
            ServiceRow.slug,
            ServiceRow.name,
            ServiceRow.team,
            ServiceRow.environment,
            ServiceRow.platform,
            ServiceRow.region,
            config.instance_type,
            config.cpu_request_cores,
            config.memory_request_gib,
            config.replicas,
            costs.c.billing_currency,
            costs.c.effective_cost_30d,
            cpu.c.cpu_p95_utilization_pct,
            ServiceRow.latency_p95_target_ms,
            sla.c.breach_hours.label("sla_breach_hours_7d"),
            sla.c.latency_hours.label("latency_hours_7d"),
        )
        .outerjoin(config, and_(config.service_id == ServiceRow.id, config.is_current))
        .outerjoin(costs, costs.c.service_id == ServiceRow.id)
        .outerjoin(cpu, cpu.c.service_id == ServiceRow.id)
        .outerjoin(sla, sla.c.service_id == ServiceRow.id)
        .where(ServiceRow.active, *_conditions(filters))
        .order_by(costs.c.effective_cost_30d.desc().nulls_last(), ServiceRow.slug)
    )
    frame = _frame(session, query)
    frame["monthly_effective_cost"] = frame.pop("effective_cost_30d").map(
        lambda v: monthly_run_rate(v, days=days) if pd.notna(v) else float("nan")
    )
    frame["config_summary"] = [
        _config_summary(row) for row in frame.itertuples(index=False, name="ServiceConfig")
    ]
    frame["sla_status"] = [
        sla_status(breach, hours)
        for breach, hours in zip(
            frame["sla_breach_hours_7d"], frame["latency_hours_7d"], strict=True
        )
    ]
    return frame


def breaching_services(
    session: Session, *, filters: Filters, today: date, usage_end: datetime | None = None
) -> pd.DataFrame:
    """Services breaching their latency SLA over the 7 × 24 hours before `usage_end`.

    Same rule as `fleet_kpis`; worst first (share of hours over target), with the monthly
    run-rate of each (per currency) so the analyst sees what is at stake.
    """
    usage_end = usage_end or _end_of_day(today)
    sla = _sla_hours(filters, usage_end - timedelta(days=SLA_WINDOW_DAYS), usage_end)
    costs = _service_costs(today)
    share = (sla.c.breach_hours * 100.0 / sla.c.latency_hours).label("breach_share_pct")
    query = (
        select(
            ServiceRow.id.label("service_id"),
            ServiceRow.slug,
            ServiceRow.name,
            ServiceRow.team,
            ServiceRow.environment,
            ServiceRow.latency_p95_target_ms,
            sla.c.breach_hours.label("sla_breach_hours_7d"),
            sla.c.latency_hours.label("latency_hours_7d"),
            share,
            costs.c.billing_currency,
            costs.c.effective_cost_30d,
        )
        .join(sla, sla.c.service_id == ServiceRow.id)
        .outerjoin(costs, costs.c.service_id == ServiceRow.id)
        .where(_breaching(sla))
        .order_by(share.desc(), ServiceRow.slug)
    )
    frame = _frame(session, query)
    days = run_rate_days(today, _first_cost_date(session))
    frame["monthly_effective_cost"] = frame.pop("effective_cost_30d").map(
        lambda v: monthly_run_rate(v, days=days) if pd.notna(v) else float("nan")
    )
    return frame


def service_daily_costs(session: Session, service_id: int, start: date, end: date) -> pd.DataFrame:
    """One service's billed, effective and list cost per day and FOCUS service category."""
    query = (
        select(
            CostDailyRow.charge_date,
            CostDailyRow.service_category,
            CostDailyRow.billing_currency,
            func.sum(CostDailyRow.billed_cost).label("billed_cost"),
            func.sum(CostDailyRow.effective_cost).label("effective_cost"),
            func.sum(CostDailyRow.list_cost).label("list_cost"),
        )
        .where(CostDailyRow.service_id == service_id, _charged_between(start, end))
        .group_by(
            CostDailyRow.charge_date,
            CostDailyRow.service_category,
            CostDailyRow.billing_currency,
        )
        .order_by(CostDailyRow.charge_date, CostDailyRow.service_category)
    )
    return _frame(session, query)


def service_usage(
    session: Session, service_id: int, start: datetime, end: datetime
) -> pd.DataFrame:
    """Hourly usage of one service in [start, end) with the capacity of its current config."""
    config = CapacityConfigRow
    query = (
        select(
            UsageHourlyRow.hour_start,
            UsageHourlyRow.cpu_used_mean_cores,
            UsageHourlyRow.cpu_used_p95_cores,
            UsageHourlyRow.memory_used_max_gib,
            UsageHourlyRow.requests_per_s,
            UsageHourlyRow.latency_p95_ms,
            UsageHourlyRow.error_rate_pct,
            (config.replicas * config.vcpu_per_replica).label("cpu_capacity_cores"),
            (config.replicas * config.memory_gib_per_replica).label("memory_capacity_gib"),
        )
        .outerjoin(config, and_(config.service_id == UsageHourlyRow.service_id, config.is_current))
        .where(
            UsageHourlyRow.service_id == service_id,
            UsageHourlyRow.hour_start >= start,
            UsageHourlyRow.hour_start < end,
        )
        .order_by(UsageHourlyRow.hour_start)
    )
    return _frame(session, query)


def sla_status(breach_hours: Any, latency_hours: Any) -> SlaStatus:
    """The 7-day latency SLA state of one service, by the breach rule of `fleet_kpis`."""
    if pd.isna(latency_hours) or int(latency_hours) == 0:
        return "no_data"
    if int(breach_hours) * 100 > int(latency_hours) * SLA_BREACH_TOLERANCE_PCT:
        return "breaching"
    return "within"


def _run_rates(session: Session, filters: Filters, today: date) -> tuple[CurrencyRunRate, ...]:
    last_start = today - timedelta(days=RUN_RATE_DAYS - 1)
    prev_start = last_start - timedelta(days=RUN_RATE_DAYS)
    first = _first_cost_date(session)
    days = run_rate_days(today, first)
    complete = first is not None and first <= prev_start
    is_last = CostDailyRow.charge_date >= last_start
    last = func.sum(case((is_last, CostDailyRow.effective_cost), else_=0)).label("last")
    prev = func.sum(case((is_last, 0), else_=CostDailyRow.effective_cost)).label("prev")
    query = _cost_query(filters, prev_start, today, CostDailyRow.billing_currency, last, prev)
    rows = session.execute(query.group_by(CostDailyRow.billing_currency)).all()
    rates = [
        CurrencyRunRate(row[0], float(row[1] or 0), float(row[2] or 0), days, complete)
        for row in rows
    ]
    return tuple(sorted(rates, key=lambda r: (-r.effective_cost_last_30d, r.billing_currency)))


def _first_cost_date(session: Session) -> date | None:
    return _as_date(session.scalar(select(func.min(CostDailyRow.charge_date))))


def _cost_query(filters: Filters, start: date, end: date, *columns: Any) -> Select[Any]:
    """Cost rows in [start, end] joined to their service.

    Without filters the join is outer so unallocated cost (no service) still counts;
    any filter narrows to allocated cost of matching services.
    """
    return (
        select(*columns)
        .select_from(CostDailyRow)
        .join(ServiceRow, CostDailyRow.service_id == ServiceRow.id, isouter=not filters.active)
        .where(_charged_between(start, end), *_conditions(filters))
    )


def _service_costs(today: date) -> Any:
    start = today - timedelta(days=RUN_RATE_DAYS - 1)
    return (
        select(
            CostDailyRow.service_id,
            CostDailyRow.billing_currency,
            func.sum(CostDailyRow.effective_cost).label("effective_cost_30d"),
        )
        .where(CostDailyRow.service_id.is_not(None), _charged_between(start, today))
        .group_by(CostDailyRow.service_id, CostDailyRow.billing_currency)
        .subquery("service_cost")
    )


def _cpu_utilization_p95(start: datetime, end: datetime) -> Any:
    """Nearest-rank p95 per service: the smallest value whose rank ≥ 95 % of the count.

    rank 1..n by utilization within each service (ROW_NUMBER), n = COUNT(*) OVER the same
    partition; integer arithmetic (rank × 100 ≥ n × 95) keeps it portable without CEIL.
    """
    config = CapacityConfigRow
    capacity = config.replicas * config.vcpu_per_replica
    utilization = (UsageHourlyRow.cpu_used_mean_cores * 100.0 / capacity).label("util_pct")
    partition = UsageHourlyRow.service_id
    ranked = (
        select(
            UsageHourlyRow.service_id,
            utilization,
            func.row_number().over(partition_by=partition, order_by=utilization).label("rank"),
            func.count().over(partition_by=partition).label("n"),
        )
        .join(config, and_(config.service_id == UsageHourlyRow.service_id, config.is_current))
        .where(
            UsageHourlyRow.hour_start >= start,
            UsageHourlyRow.hour_start < end,
            capacity > 0,
        )
        .subquery("ranked_cpu")
    )
    return (
        select(
            ranked.c.service_id,
            func.min(ranked.c.util_pct).label("cpu_p95_utilization_pct"),
        )
        .where(ranked.c.rank * 100 >= ranked.c.n * CPU_PERCENTILE)
        .group_by(ranked.c.service_id)
        .subquery("cpu_p95")
    )


def _sla_hours(filters: Filters, start: datetime, end: datetime) -> Any:
    """Per active service: hours with a latency sample and hours over the p95 target."""
    over = UsageHourlyRow.latency_p95_ms > ServiceRow.latency_p95_target_ms
    return (
        select(
            UsageHourlyRow.service_id,
            func.sum(case((over, 1), else_=0)).label("breach_hours"),
            func.count(UsageHourlyRow.latency_p95_ms).label("latency_hours"),
        )
        .join(ServiceRow, ServiceRow.id == UsageHourlyRow.service_id)
        .where(
            ServiceRow.active,
            UsageHourlyRow.hour_start >= start,
            UsageHourlyRow.hour_start < end,
            *_conditions(filters),
        )
        .group_by(UsageHourlyRow.service_id)
        .subquery("sla_hours")
    )


def _breaching(sla: Any) -> ColumnElement[bool]:
    return and_(
        sla.c.latency_hours > 0,
        sla.c.breach_hours * 100 > sla.c.latency_hours * SLA_BREACH_TOLERANCE_PCT,
    )


def _conditions(filters: Filters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.teams:
        conditions.append(ServiceRow.team.in_(filters.teams))
    if filters.environments:
        conditions.append(ServiceRow.environment.in_(filters.environments))
    if filters.platforms:
        conditions.append(ServiceRow.platform.in_(filters.platforms))
    return conditions


def _charged_between(start: date, end: date) -> ColumnElement[bool]:
    return and_(CostDailyRow.charge_date >= start, CostDailyRow.charge_date <= end)


def _frame(session: Session, query: Executable) -> pd.DataFrame:
    """Rows as a DataFrame; exact money (Decimal) becomes float for charts and tables."""
    result = session.execute(query)
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    for column in frame.columns:
        if frame[column].map(lambda v: isinstance(v, Decimal)).any():
            frame[column] = frame[column].astype("float64")
    return frame


def _config_summary(row: Any) -> str:
    if isinstance(row.instance_type, str) and row.instance_type:
        return row.instance_type
    if pd.isna(row.cpu_request_cores) or pd.isna(row.memory_request_gib):
        return "no config"
    cpu = row.cpu_request_cores
    cpu_text = f"{round(cpu * 1000)}m" if cpu < 1 else f"{cpu:g} core{'s' if cpu != 1 else ''}"
    return f"{cpu_text} CPU / {row.memory_request_gib:g} GiB"


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _as_utc(value: Any) -> datetime | None:
    # max() bypasses the column type on SQLite and comes back as naive text.
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
