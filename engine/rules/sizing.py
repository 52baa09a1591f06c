"""Shared sizing maths of the rules: lookback, data sufficiency, needs, rounding, band, money.

Confidence follows VPA (recommender-reference B.2) on hourly data: VPA's
confidence = min(days, samples / (60 × 24)) counts one sample a minute; our samples are hourly, so
confidence = min(days, points / 24), which is N for N full days of hourly points. The band is
lower = p50 × factor × (1 + 0.001/confidence)^-2 and upper = p95 × factor × (1 + 1/confidence),
where factor is the profile's CPU factor (VPA's 1.15 safety margin under `balanced`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from engine.arrays import FloatArray
from engine.capacity import ALWAYS_ON, CapacityConfig
from engine.cost import (
    ConfigCost,
    running_mask,
)
from engine.profiles import SizingProfile
from engine.recommendation import (
    Confidence,
    Money,
    Risk,
    SlaSummary,
)
from engine.rules.window_stats import BAND_PERCENTILES, WindowStats, window_stats
from engine.sla import SlaVerdict
from engine.units import HOURS_PER_DAY, MIB_PER_GIB
from engine.usage import UsageWindow

MILLICORES_PER_CORE = 1000
Effort = Literal["very low", "low", "medium", "high"]


@dataclass(frozen=True, slots=True)
class Needs:
    """Per-replica need at the current replica count: CPU (profile percentile) and memory (max)."""

    cpu_cores: float
    memory_gib: float
    cpu_percentile_cores: float  # before the headroom factor
    memory_max_gib: float  # before the headroom factor


def lookback(usage: UsageWindow, config: CapacityConfig, profile: SizingProfile) -> UsageWindow:
    """The last `profile.lookback_days` of the window; off-schedule hours become NaN (missing)."""
    if usage.points == 0:
        return usage
    first = usage.hour_start[-1] - np.timedelta64(profile.lookback_days * HOURS_PER_DAY - 1, "h")
    # Always on with every hour from `first` on: the test below would keep all and blank none.
    # One min instead of a mask, a gathered copy of the hours and a schedule mask per service
    # (a NaT hour makes the min NaT, which compares False: the general path decides then).
    if config.schedule == ALWAYS_ON and usage.hour_start.min() >= first:
        return usage
    keep = usage.hour_start >= first
    off = ~running_mask(config.schedule, usage.hour_start[keep])
    if keep.all() and not off.any():  # the whole window, always on: nothing to cut or blank
        return usage

    def cut(values: FloatArray, blank_off: bool = True) -> FloatArray:
        kept = values[keep]
        return np.where(off, np.nan, kept) if blank_off else kept

    return UsageWindow(
        service_id=usage.service_id,
        hour_start=usage.hour_start[keep],
        cpu_used_mean_cores=cut(usage.cpu_used_mean_cores),
        cpu_used_p95_cores=cut(usage.cpu_used_p95_cores),
        memory_used_max_gib=cut(usage.memory_used_max_gib),
        requests_per_s=cut(usage.requests_per_s),
        latency_p95_ms=cut(usage.latency_p95_ms),
        error_rate_pct=cut(usage.error_rate_pct),
    )


def data_shortfall(
    usage: UsageWindow, profile: SizingProfile, *, stats: WindowStats | None = None
) -> str | None:
    """Why the window cannot be sized: fewer than min_points CPU samples or min_days span.
    `stats`: the window's, when the caller has them (else worked out here)."""
    stats = stats or window_stats(usage, profile)
    points = stats.finite_points
    if points < profile.min_points:
        return f"not enough data: {points} of {profile.min_points} points"
    if stats.days < profile.min_days:
        return f"not enough data: {stats.days:.1f} of {profile.min_days:g} days"
    return None


def needs(
    usage: UsageWindow,
    replicas: int,
    profile: SizingProfile,
    *,
    no_memory_gib: float = 0.0,
    stats: WindowStats | None = None,
) -> Needs:
    """Per replica: CPU = percentile(p95 cores / replicas, profile pct) × cpu_factor;
    memory = max(GiB / replicas) × memory_factor. NaN hours are ignored; without any memory
    sample the memory max is `no_memory_gib` (callers pass the current size: never shrink blind).
    `stats`: the window's, when the caller has them.
    """
    per_replica = max(replicas, 1)
    stats = stats or window_stats(usage, profile)
    cpu = stats.cpu_percentile(profile.cpu_percentile, per_replica)
    peak = stats.memory_max_gib  # the max of the finite memory hours, read once per service
    memory = peak / per_replica if peak is not None else no_memory_gib / profile.memory_factor
    return Needs(cpu * profile.cpu_factor, memory * profile.memory_factor, cpu, memory)


def round_cpu_cores(cores: float, floor_cores: float) -> float:
    """Round up to a whole millicore (VPA's --round-cpu-millicores 1), then apply the floor."""
    millicores = math.ceil(round(cores * MILLICORES_PER_CORE, 6))
    return max(millicores / MILLICORES_PER_CORE, floor_cores)


def round_memory_gib(gib: float, floor_gib: float) -> float:
    """Round up to a whole MiB, then apply the floor."""
    mib = math.ceil(round(gib * MIB_PER_GIB, 6))
    return max(mib / MIB_PER_GIB, floor_gib)


def confidence(
    usage: UsageWindow,
    replicas: int,
    profile: SizingProfile,
    *,
    stats: WindowStats | None = None,
) -> Confidence:
    """Points, days and the VPA-style CPU band per replica (module docstring). `stats`: the
    window's, when the caller has them."""
    stats = stats or window_stats(usage, profile)
    points, days = stats.finite_points, stats.days
    level = min(days, points / HOURS_PER_DAY)
    if level <= 0:
        return Confidence(points, days, unit="cores per replica")
    p50, p95 = stats.cpu_percentiles(BAND_PERCENTILES, replicas)
    lower = p50 * profile.cpu_factor * (1.0 + 0.001 / level) ** -2
    upper = p95 * profile.cpu_factor * (1.0 + 1.0 / level)
    return Confidence(points, days, lower, upper, unit="cores per replica")


def to_money(cost: ConfigCost) -> Money:
    """Monthly (730 h) list and effective USD of an hourly cost."""
    return Money(cost.monthly_list_usd, cost.monthly_effective_usd)


def risk_of(verdict: SlaVerdict) -> Risk:
    """Risk 0–4 and sub-scores straight from the SLA verdict."""
    return Risk(verdict.risk_score, dict(verdict.sub_scores))


def sla_summary(verdict: SlaVerdict) -> SlaSummary:
    """The reviewer's reduction of an SLA verdict."""
    return SlaSummary(
        passes=verdict.passes,
        projected_p95_ms=verdict.p95_of_projected_latency_ms,
        hours_within_target_pct=verdict.hours_within_target_pct,
        peak_utilization=verdict.peak_utilization,
        n_plus_one_ok=verdict.n_plus_one_ok,
        availability_ok=verdict.availability_ok,
        reasons=verdict.reasons,
    )
