"""The sidecar's per-service 7-day usage rollup (service_usage_7d): written after each usage
collection, read by the services table while its window ends at the newest usage hour."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, insert, select
from sqlalchemy.orm import Session

from data.models import CapacityConfigRow, ServiceRow, ServiceUsage7dRow, UsageHourlyRow
from data.repos.sql import SLA_WINDOW_DAYS, as_utc

CPU_PERCENTILE = 95


def refresh_service_usage_7d(session: Session, *, now: datetime) -> int:
    """Replace the rollup with every service's 7 × 24 hours before the newest usage hour's end
    (one row per service, `hours` 0 and no p95 when it has none); returns the rows written.
    One transaction (the caller's): a reader sees the old rollup or the new one, never half."""
    session.execute(delete(ServiceUsage7dRow))
    newest = as_utc(session.scalar(select(func.max(UsageHourlyRow.hour_start))))
    if newest is None:
        return 0
    window_end = newest + timedelta(hours=1)
    p95 = _cpu_p95_cores(window_end - timedelta(days=SLA_WINDOW_DAYS), window_end)
    found = session.execute(
        select(ServiceRow.id, p95.c.cpu_used_p95_cores, p95.c.hours).outerjoin(
            p95, p95.c.service_id == ServiceRow.id
        )
    ).all()
    rows = [
        {
            "service_id": service_id,
            "window_end": window_end,
            "cpu_used_p95_cores": cores,
            "hours": hours or 0,
            "computed_at": now,
        }
        for service_id, cores, hours in found
    ]
    if rows:
        session.execute(insert(ServiceUsage7dRow), rows)
    return len(rows)


def covers(session: Session, window_end: datetime, where: list[ColumnElement[bool]]) -> bool:
    """Whether every active service matching `where` has a rollup row for this window: only
    then may a page read it instead of ranking the hours (a stale or missing rollup falls
    back to the hourly rows, so the figure is the same either way)."""
    fresh = exists().where(
        ServiceUsage7dRow.service_id == ServiceRow.id, ServiceUsage7dRow.window_end == window_end
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
