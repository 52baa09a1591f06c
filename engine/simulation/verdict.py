"""The SLA rules applied to sums of hourly indicators, so one rule set judges replay and paths."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import risk
from engine.arrays import BoolArray, FloatArray, IntArray
from engine.risk import RiskScores
from engine.service import Sla
from engine.simulation.hourly import HourlyProjection
from engine.sla import REDUNDANT_AVAILABILITY_PCT, SlaPolicy, replicas_needed

# Columns of the hourly indicator matrix (hours × INDICATORS): counts once summed over hours.
MODELLED, BREACH, N1_MODELLED, N1_BREACH, SATURATED, ERROR_RISK, N1_OVERLOAD, OOM, CPU_KNOWN = (
    range(9)
)
INDICATORS = 9


@dataclass(frozen=True, slots=True)
class Verdicts:
    """Per row (a path, the replay, or a candidate): the SLA rules' outcome over its hours."""

    holds: BoolArray
    latency_ok: BoolArray
    saturation_ok: BoolArray
    error_risk: BoolArray
    memory_ok: BoolArray
    availability_ok: BoolArray
    n_plus_one_ok: BoolArray
    breach_hours: IntArray
    hours_within_target_pct: FloatArray


def hourly_indicators(projection: HourlyProjection, *, sla: Sla, policy: SlaPolicy) -> FloatArray:
    """hours × 9 (leading axes kept) of 0/1: which rule each hour touches (see the columns)."""
    target_ms = sla.latency_p95_target_ms
    n1_target_ms = target_ms * policy.n_plus_one_latency_factor
    p = projection
    columns = (
        ~np.isnan(p.latency_ms),
        p.latency_ms > target_ms,
        ~np.isnan(p.n_plus_one_latency_ms),
        p.n_plus_one_latency_ms > n1_target_ms,
        p.utilization > policy.saturation_limit,
        p.utilization >= policy.error_risk_utilization,
        p.n_plus_one_utilization >= 1.0,
        p.memory_utilization > 1.0,
        ~np.isnan(p.utilization),
    )
    return np.stack(np.broadcast_arrays(*columns), axis=-1).astype(np.float64)


def judge(
    sums: FloatArray,
    projection: HourlyProjection,
    *,
    zones: int,
    sla: Sla,
    policy: SlaPolicy,
) -> Verdicts:
    """The SLA engine's rules on rows of summed indicators (rows × 9).

    Rules: latency — p95 ≤ target in ≥ latency_hours_pct of modelled hours (passes when none
    is modelled); saturation — no hour above the limit, and some CPU sample; error risk — an
    hour at ≥ 0.95 utilization, or no CPU sample; memory — no hour above capacity;
    availability — the fewest replicas running ≥ what the target needs, in ≥ 2 zones when
    that is > 1; N+1 (required from 99.9 %) — ≥ 2 replicas, no hour at ≥ 1 utilization with one
    lost, p95 ≤ target × 1.5 in ≥ latency_hours_pct of modelled hours.
    """
    within_pct = _within_pct(sums[..., MODELLED], sums[..., BREACH])
    n1_within_pct = _within_pct(sums[..., N1_MODELLED], sums[..., N1_BREACH])
    fewest = _fewest_running(projection)
    needed = replicas_needed(sla.availability_target_pct)
    availability_ok = (fewest >= needed) & ((zones >= 2) | (needed < 2))
    latency_ok = ~(within_pct < policy.latency_hours_pct)  # NaN (nothing modelled) passes
    saturation_ok = (sums[..., SATURATED] == 0) & (sums[..., CPU_KNOWN] > 0)
    error_risk = (sums[..., ERROR_RISK] > 0) | (sums[..., CPU_KNOWN] == 0)
    memory_ok = sums[..., OOM] == 0
    n1_ok = (
        (fewest >= 2) & (sums[..., N1_OVERLOAD] == 0) & ~(n1_within_pct < policy.latency_hours_pct)
    )
    required = sla.availability_target_pct >= REDUNDANT_AVAILABILITY_PCT
    capacity_ok = saturation_ok & ~error_risk & memory_ok & availability_ok
    return Verdicts(
        holds=latency_ok & capacity_ok & (n1_ok | (not required)),
        latency_ok=latency_ok,
        saturation_ok=saturation_ok,
        error_risk=error_risk,
        memory_ok=memory_ok,
        availability_ok=np.broadcast_to(availability_ok, latency_ok.shape),
        n_plus_one_ok=n1_ok,
        breach_hours=np.rint(sums[..., BREACH]).astype(np.int64),
        hours_within_target_pct=within_pct,
    )


def replay_risk(
    projection: HourlyProjection, verdicts: Verdicts, *, sla: Sla, policy: SlaPolicy, modelled: bool
) -> RiskScores:
    """engine.risk's five sub-scores on the replay's peaks, breach share and redundancy."""
    shape = verdicts.holds.shape
    peak = np.broadcast_to(np.fmax.reduce(projection.utilization, axis=-1), shape)
    memory_peak = np.broadcast_to(np.fmax.reduce(projection.memory_utilization, axis=-1), shape)
    return RiskScores(
        cpu_headroom=risk.cpu_headroom_score(
            peak,
            saturation_limit=policy.saturation_limit,
            error_risk_utilization=policy.error_risk_utilization,
        ),
        memory=risk.memory_score(memory_peak),
        latency=risk.latency_score(
            np.nan_to_num(100.0 - verdicts.hours_within_target_pct, nan=0.0),
            allowed_pct=policy.allowed_breach_pct,
            modelled=modelled,
        ),
        error_saturation=risk.error_saturation_score(peak),
        availability=risk.availability_score(
            verdicts.availability_ok,
            verdicts.n_plus_one_ok,
            n_plus_one_required=sla.availability_target_pct >= REDUNDANT_AVAILABILITY_PCT,
        ),
    )


def _within_pct(modelled: FloatArray, breach: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        share: FloatArray = 100.0 * (modelled - breach) / modelled
    return share


def _fewest_running(projection: HourlyProjection) -> FloatArray:
    """The fewest replicas in any on-schedule hour (per leading row); 0 if never running."""
    on = projection.running > 0
    replicas = np.where(on, projection.replicas, np.inf)
    fewest: FloatArray = np.min(replicas, axis=-1) if on.any() else np.zeros(replicas.shape[:-1])
    return fewest
