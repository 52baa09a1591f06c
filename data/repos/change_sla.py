"""Prediction accountability: each applied change's SLA prediction against telemetry after it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import ConfigChangeRow, RecommendationRow, ServiceRow
from data.repos.fleet_usage import load_usage_windows
from data.repos.sql import SLA_BREACH_TOLERANCE_PCT
from engine.capacity import CapacityConfig
from engine.stats import nan_percentile
from engine.usage import UsageWindow

AFTER_DAYS = 14  # telemetry judged: up to two weeks from the apply (or to its rollback)


@dataclass(frozen=True, slots=True)
class SlaAfterChange:
    """Predicted vs observed after one change; `breached` when p95 latency was over target in
    more than 1 % of the hours with a latency sample (the Overview's breach rule)."""

    change_id: int
    latency_target_ms: float
    predicted_p95_ms: float  # NaN: the recommendation carried no SLA verdict
    predicted_peak_utilization_pct: float
    observed_p95_ms: float  # p95 of the hourly p95 latencies; NaN without telemetry
    observed_peak_utilization_pct: float
    latency_hours: int
    breach_hours: int

    @property
    def breached(self) -> bool:
        if self.latency_hours == 0:
            return False
        return self.breach_hours * 100.0 > SLA_BREACH_TOLERANCE_PCT * self.latency_hours


def sla_after_changes(session: Session, *, usage_end: datetime | None) -> list[SlaAfterChange]:
    """Every config change with telemetry from its apply to its rollback, `usage_end` or
    AFTER_DAYS later, whichever comes first; usage of the changed services read in one query."""
    rows = session.execute(
        select(ConfigChangeRow, RecommendationRow.sla_verdict, ServiceRow.latency_p95_target_ms)
        .join(ServiceRow, ServiceRow.id == ConfigChangeRow.service_id)
        .outerjoin(RecommendationRow, RecommendationRow.id == ConfigChangeRow.recommendation_id)
        .order_by(ConfigChangeRow.applied_at.desc(), ConfigChangeRow.id.desc())
    ).all()
    if not rows or usage_end is None:
        return [_judge(row, verdict, target, None, usage_end) for row, verdict, target in rows]
    start = min(row.applied_at for row, _, _ in rows)
    windows = load_usage_windows(
        session, {row.service_id for row, _, _ in rows}, start=start, end=usage_end
    )
    return [
        _judge(row, verdict, target, windows[row.service_id], usage_end)
        for row, verdict, target in rows
    ]


def _judge(
    row: ConfigChangeRow,
    verdict: dict[str, object] | None,
    target_ms: float,
    usage: UsageWindow | None,
    usage_end: datetime | None,
) -> SlaAfterChange:
    after = _after(row, usage, usage_end)
    latency = after.latency_p95_ms if after is not None else np.empty(0)
    capacity = CapacityConfig(**row.after).cpu_capacity_cores
    peak = (
        # The SLA engine's peak: the highest in-hour p95 CPU over the config's capacity.
        float(np.fmax.reduce(after.cpu_used_p95_cores)) / capacity * 100.0
        if after is not None and capacity > 0
        else math.nan
    )
    sampled = latency[np.isfinite(latency)]
    return SlaAfterChange(
        change_id=row.id,
        latency_target_ms=float(target_ms),
        predicted_p95_ms=_number((verdict or {}).get("projected_p95_ms")),
        predicted_peak_utilization_pct=_number((verdict or {}).get("peak_utilization")) * 100.0,
        observed_p95_ms=nan_percentile(latency, 95.0) if len(sampled) else math.nan,
        observed_peak_utilization_pct=peak,
        latency_hours=len(sampled),
        breach_hours=int((sampled > target_ms).sum()),
    )


def _after(
    row: ConfigChangeRow, usage: UsageWindow | None, usage_end: datetime | None
) -> UsageWindow | None:
    """The service's hours from the apply to the rollback, usage_end or AFTER_DAYS later."""
    if usage is None or usage_end is None:
        return None
    ends = [usage_end, row.applied_at + timedelta(days=AFTER_DAYS)]
    if row.rolled_back_at is not None:
        ends.append(row.rolled_back_at)
    lo, hi = np.searchsorted(usage.hour_start, [_hour(row.applied_at), _hour(min(ends))])
    if hi <= lo:
        return None
    names = ("cpu_used_mean_cores", "cpu_used_p95_cores", "memory_used_max_gib")
    return UsageWindow(
        service_id=usage.service_id,
        hour_start=usage.hour_start[lo:hi],
        **{name: getattr(usage, name)[lo:hi] for name in names},
        requests_per_s=usage.requests_per_s[lo:hi],
        latency_p95_ms=usage.latency_p95_ms[lo:hi],
        error_rate_pct=usage.error_rate_pct[lo:hi],
    )


def _hour(moment: datetime) -> np.datetime64:
    # An apply at 10:20 is judged from 11:00: the hour it happened in ran on both configs.
    return np.datetime64(int(math.ceil(moment.timestamp() / 3600.0) * 3600), "s")


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else math.nan
