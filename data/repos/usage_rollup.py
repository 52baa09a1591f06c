"""The sidecar's per-service 7-day usage rollup (service_usage_7d): CPU p95 and SLA hours,
read by the pages while its window ends at the newest usage hour."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, insert, select
from sqlalchemy.orm import Session

from data.models import CapacityConfigRow, ServiceRow, ServiceUsage7dRow, UsageHourlyRow
from data.repos.sql import SLA_WINDOW_DAYS, as_utc, sla_hours

CPU_PERCENTILE = 95


def refresh_service_usage_7d(session: Session, *, now: datetime) -> int:
    """Replace the rollup with every service's 7 × 24 hours before the newest usage hour's end
    (one row per service, `hours` 0 and no p95 when it has none; its SLA hours by `sla_hours`,
    none when it has no hours); returns the rows written. One transaction (the caller's): a
    reader sees the old rollup or the new one, never half."""
    session.execute(delete(ServiceUsage7dRow))
    newest = as_utc(session.scalar(select(func.max(UsageHourlyRow.hour_start))))
    if newest is None:
        return 0
    window_end = newest + timedelta(hours=1)
    rows = [
        {**row, "hours": row["hours"] or 0, "window_end": window_end, "computed_at": now}
        for row in session.execute(_rollup_query(window_end)).mappings()
    ]
    if rows:
        session.execute(insert(ServiceUsage7dRow), rows)
    return len(rows)


def _rollup_query(window_end: datetime) -> Any:
    """Every service's rollup figures for the 7 × 24 hours before `window_end`."""
    window_start = window_end - timedelta(days=SLA_WINDOW_DAYS)
    p95 = _cpu_p95_cores(window_start, window_end)
    sla = sla_hours(window_start, window_end, active_only=False)  # the pages' own query
    return (
        select(
            ServiceRow.id.label("service_id"),
            p95.c.cpu_used_p95_cores,
            p95.c.hours,
            sla.c.latency_hours,
            sla.c.breach_hours,
            ServiceRow.latency_p95_target_ms,
        )
        .outerjoin(p95, p95.c.service_id == ServiceRow.id)
        .outerjoin(sla, sla.c.service_id == ServiceRow.id)
    )


def covers(
    session: Session, window_end: datetime, where: Sequence[ColumnElement[bool]] = ()
) -> bool:
    """Whether every active service matching `where` has a rollup row for this window: only
    then may a page read it instead of ranking the hours (a stale or missing rollup falls
    back to the hourly rows, so the figure is the same either way). A row taken under another
    latency target than the service's current one is not fresh either (its breach hours
    counted against that target)."""
    rollup = ServiceUsage7dRow
    fresh = exists().where(
        rollup.service_id == ServiceRow.id,
        rollup.window_end == window_end,
        rollup.latency_p95_target_ms == ServiceRow.latency_p95_target_ms,
    )
    missing = select(func.count(ServiceRow.id)).where(ServiceRow.active, *where, ~fresh)
    return session.scalar(missing) == 0


def cpu_p95_utilization(window_end: datetime, service_id: int | None = None) -> Any:
    """(service_id, cpu_p95_utilization_pct) from the rollup: its p95 cores ÷ the current
    config's capacity, the same figure (to the bit) as ranking the hours by utilization."""
    config = CapacityConfigRow
    capacity = config.replicas * config.vcpu_per_replica
    rollup = ServiceUsage7dRow
    return (
        select(
            rollup.service_id,
            (rollup.cpu_used_p95_cores * 100.0 / capacity).label("cpu_p95_utilization_pct"),
        )
        .join(config, and_(config.service_id == rollup.service_id, config.is_current))
        .where(
            rollup.window_end == window_end,
            rollup.cpu_used_p95_cores.is_not(None),
            capacity > 0,
            *([] if service_id is None else [rollup.service_id == service_id]),
        )
        .subquery("cpu_p95")
    )


def sla_hours_7d(window_end: datetime, where: Sequence[ColumnElement[bool]] = ()) -> Any:
    """The rollup's rows in the shape of `sql.sla_hours` over the 7 × 24 hours before
    `window_end`: (service_id, breach_hours, latency_hours) per active service matching `where`
    that had hours in the window (only those have a `sla_hours` row)."""
    rollup = ServiceUsage7dRow
    return (
        select(rollup.service_id, rollup.breach_hours, rollup.latency_hours)
        .join(ServiceRow, ServiceRow.id == rollup.service_id)
        .where(
            ServiceRow.active,
            rollup.window_end == window_end,
            rollup.latency_hours.is_not(None),
            *where,
        )
        .subquery("sla_hours")
    )


def sla_hours_fresh(
    session: Session, window_end: datetime, where: Sequence[ColumnElement[bool]] = ()
) -> Any:
    """`sla_hours` over the 7 × 24 hours before `window_end`: from the rollup when it covers
    every service matching `where`, else counted over the hourly rows (the same rows)."""
    if covers(session, window_end, where):
        return sla_hours_7d(window_end, where)
    return sla_hours(window_end - timedelta(days=SLA_WINDOW_DAYS), window_end, where)


def _cpu_p95_cores(start: datetime, end: datetime) -> Any:
    """Nearest-rank p95 of hourly mean CPU cores per service in [start, end), and the hours:
    the rule of `service_views` (rank × 100 ≥ n × 95), before dividing by capacity."""
    partition = UsageHourlyRow.service_id
    cores = UsageHourlyRow.cpu_used_mean_cores
    ranked = (
        select(
            partition.label("service_id"),
            cores.label("cores"),
            func.row_number().over(partition_by=partition, order_by=cores).label("rank"),
            func.count().over(partition_by=partition).label("n"),
        )
        .where(UsageHourlyRow.hour_start >= start, UsageHourlyRow.hour_start < end)
        .subquery("ranked_cores")
    )
    return (
        select(
            ranked.c.service_id,
            func.min(ranked.c.cores).label("cpu_used_p95_cores"),
            func.max(ranked.c.n).label("hours"),
        )
        .where(ranked.c.rank * 100 >= ranked.c.n * CPU_PERCENTILE)
        .group_by(ranked.c.service_id)
        .subquery("cpu_p95_cores")
    )
