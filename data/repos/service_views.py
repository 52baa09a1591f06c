"""Per-service read models for the dashboard pages: the services table, SLA breaches, one service.

Follows the read-model conventions of `data.repos.sql`; monthly cost is the run-rate rule of
`data.repos.fleet`, applied per service.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

import pandas as pd
from sqlalchemy import Table, and_, func, select
from sqlalchemy.orm import Session

from data.models import CapacityConfigRow, CostDailyRow, ServiceRow, UsageHourlyRow
from data.repos import cost_rollup, usage_rollup
from data.repos.fleet import (
    RUN_RATE_DAYS,
    Filters,
    filter_conditions,
    first_cost_date,
    monthly_run_rate,
    run_rate_days,
)
from data.repos.sql import (
    SLA_BREACH_TOLERANCE_PCT,
    SLA_WINDOW_DAYS,
    breaches_sla,
    charged_between,
    end_of_day,
    read_frame,
    service_columns,
    sla_hours,
)

CPU_PERCENTILE = 95

SlaStatus = Literal["breaching", "within", "no_data"]


def service_list(session: Session, *, filters: Filters) -> pd.DataFrame:
    """Active services matching `filters` (service_id, slug, name, team, environment): what a
    picker lists, without the usage and cost aggregates of `services_table`."""
    query = (
        select(*service_columns(), ServiceRow.environment)
        .where(ServiceRow.active, *filter_conditions(filters))
        .order_by(ServiceRow.slug)
    )
    return read_frame(session, query)


def services_table(
    session: Session,
    *,
    filters: Filters,
    today: date,
    usage_end: datetime | None = None,
    service_id: int | None = None,
) -> pd.DataFrame:
    """One row per active service (per currency when it is billed in several).

    `service_id` narrows every aggregate to that one service (Service detail): the same row(s)
    the fleet-wide table has for it, reading one service's hours instead of the fleet's.

    Monthly cost is the run-rate rule of `fleet.fleet_kpis` (history coverage is fleet-wide),
    summed from the same source as the Overview's (`cost_rollup.source`: the sidecar's daily
    rollup while fresh, else the cost rows), so the two pages show the same figure to the bit.
    CPU p95 utilization is the 95th percentile (nearest rank) of hourly mean CPU used ÷ current
    CPU capacity over the 7 × 24 hours before `usage_end`: read from the sidecar's rollup when
    it covers every service shown for that window, else ranked from the hourly rows here (the
    same figure); likewise the SLA hours. SLA status follows the breach rule of `fleet.fleet_kpis`.
    """
    usage_end = usage_end or end_of_day(today)
    usage_start = usage_end - timedelta(days=SLA_WINDOW_DAYS)
    days = run_rate_days(today, first_cost_date(session))
    where = filter_conditions(filters)
    if service_id is not None:
        where.append(ServiceRow.id == service_id)
    costs = _run_rate_costs(session, today, service_id)
    if usage_rollup.covers(session, usage_end, where):
        cpu = usage_rollup.cpu_p95_utilization(usage_end, service_id)
        sla = usage_rollup.sla_hours_7d(usage_end, where)
    else:
        cpu = _cpu_utilization_p95(usage_start, usage_end, service_id)
        sla = sla_hours(usage_start, usage_end, where)
    config = CapacityConfigRow
    query = (
        select(
            *service_columns(),
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
        .where(ServiceRow.active, *where)
        .order_by(costs.c.effective_cost_30d.desc().nulls_last(), ServiceRow.slug)
    )
    return _derived_columns(read_frame(session, query), run_rate_days=days)


def _derived_columns(frame: pd.DataFrame, *, run_rate_days: int) -> pd.DataFrame:
    """The services table's computed columns: monthly run-rate, config summary, SLA status."""
    frame["monthly_effective_cost"] = frame.pop("effective_cost_30d").map(
        lambda v: monthly_run_rate(v, days=run_rate_days) if pd.notna(v) else float("nan")
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

    Same rule and source as `fleet.fleet_kpis` (the rollup while fresh); worst first (share of
    hours over target), with the monthly run-rate of each (per currency) so the analyst sees
    what is at stake.
    """
    usage_end = usage_end or end_of_day(today)
    sla = usage_rollup.sla_hours_fresh(session, usage_end, filter_conditions(filters))
    costs = _run_rate_costs(session, today)
    share = (sla.c.breach_hours * 100.0 / sla.c.latency_hours).label("breach_share_pct")
    query = (
        select(
            *service_columns(),
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
        .where(breaches_sla(sla))
        .order_by(share.desc(), ServiceRow.slug)
    )
    frame = read_frame(session, query)
    days = run_rate_days(today, first_cost_date(session))
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
        .where(CostDailyRow.service_id == service_id, charged_between(start, end))
        .group_by(
            CostDailyRow.charge_date,
            CostDailyRow.service_category,
            CostDailyRow.billing_currency,
        )
        .order_by(CostDailyRow.charge_date, CostDailyRow.service_category)
    )
    return read_frame(session, query)


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
    return read_frame(session, query)


def sla_status(breach_hours: Any, latency_hours: Any) -> SlaStatus:
    """The 7-day latency SLA state of one service, by the breach rule of `fleet.fleet_kpis`."""
    if pd.isna(latency_hours) or int(latency_hours) == 0:
        return "no_data"
    if int(breach_hours) * 100 > int(latency_hours) * SLA_BREACH_TOLERANCE_PCT:
        return "breaching"
    return "within"


def _run_rate_costs(session: Session, today: date, service_id: int | None = None) -> Any:
    """`_service_costs` from the Overview's source: the sidecar's daily rollup while it is
    fresh for the run-rate window, else the cost rows (the same figure to the bit on both)."""
    start = today - timedelta(days=RUN_RATE_DAYS - 1)
    return _service_costs(today, service_id, source=cost_rollup.source(session, start))


def _service_costs(
    today: date, service_id: int | None = None, *, source: Table = cost_rollup.ROWS
) -> Any:
    """Per service and currency: effective cost of the 30-day run-rate window ending `today`
    (of `service_id` only, when given), summed over `source`: the cost rows, or the sidecar's
    per-service daily rollup of them while it is fresh (`cost_rollup.source`)."""
    start = today - timedelta(days=RUN_RATE_DAYS - 1)
    which = (
        source.c.service_id.is_not(None)
        if service_id is None
        else source.c.service_id == service_id
    )
    return (
        select(
            source.c.service_id,
            source.c.billing_currency,
            func.sum(source.c.effective_cost).label("effective_cost_30d"),
        )
        .where(which, cost_rollup.charged_between(source, start, today))
        .group_by(source.c.service_id, source.c.billing_currency)
        .subquery("service_cost")
    )


def _cpu_utilization_p95(start: datetime, end: datetime, service_id: int | None = None) -> Any:
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
            *([] if service_id is None else [UsageHourlyRow.service_id == service_id]),
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


def _config_summary(row: Any) -> str:
    if isinstance(row.instance_type, str) and row.instance_type:
        return row.instance_type
    if pd.isna(row.cpu_request_cores) or pd.isna(row.memory_request_gib):
        return "no config"
    cpu = row.cpu_request_cores
    cpu_text = f"{round(cpu * 1000)}m" if cpu < 1 else f"{cpu:g} core{'s' if cpu != 1 else ''}"
    return f"{cpu_text} CPU / {row.memory_request_gib:g} GiB"
