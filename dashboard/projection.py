"""Current vs proposed config replayed over the usage history by the SLA engine (pure)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.capacity import CapacityConfig
from engine.errors import EngineError
from engine.service import Service
from engine.sla import Candidates, evaluate_candidates, policy_for
from engine.usage import UsageWindow


@dataclass(frozen=True, slots=True)
class SlaProjection:
    """Hourly projected p95 latency and CPU utilization of both configs, or why there is none.

    `hourly` columns: hour_start, latency_current_ms, latency_proposed_ms,
    utilization_current_pct, utilization_proposed_pct, latency_target_ms, saturation_limit_pct.
    """

    hourly: pd.DataFrame
    latency_modelled: bool
    note: str
    latency_target_ms: float
    saturation_limit_pct: float
    breach_hours_current: int
    breach_hours_proposed: int
    p95_current_ms: float  # 95th percentile of the hourly projected p95s
    p95_proposed_ms: float
    peak_utilization_current_pct: float
    peak_utilization_proposed_pct: float


def project(
    usage: UsageWindow, service: Service, current: CapacityConfig, proposed: CapacityConfig
) -> SlaProjection:
    """Evaluate [current, proposed] with engine.sla.evaluate_candidates under the class policy."""
    policy = policy_for(service.policy_class)
    target = service.sla.latency_p95_target_ms
    limit_pct = policy.saturation_limit * 100.0
    if usage.points == 0:
        return _empty(service, limit_pct, "no usage samples in the history window")
    try:
        verdicts = evaluate_candidates(
            usage,
            current,
            Candidates.of(current, proposed),
            sla=service.sla,
            policy=policy,
        )
    except EngineError as error:
        return _empty(service, limit_pct, str(error))
    hours = pd.to_datetime(usage.hour_start).tz_localize("UTC")
    latency = verdicts.projected_latency_ms
    utilization = verdicts.projected_utilization * 100.0
    hourly = pd.DataFrame(
        {
            "hour_start": hours,
            "latency_current_ms": latency[0],
            "latency_proposed_ms": latency[1],
            "utilization_current_pct": utilization[0],
            "utilization_proposed_pct": utilization[1],
            "latency_target_ms": target,
            "saturation_limit_pct": limit_pct,
        }
    )
    return SlaProjection(
        hourly=hourly,
        latency_modelled=verdicts.latency_modelled,
        note=verdicts.latency_note,
        latency_target_ms=target,
        saturation_limit_pct=limit_pct,
        breach_hours_current=int(verdicts.breach_hours[0]),
        breach_hours_proposed=int(verdicts.breach_hours[1]),
        p95_current_ms=float(verdicts.p95_of_projected_latency_ms[0]),
        p95_proposed_ms=float(verdicts.p95_of_projected_latency_ms[1]),
        peak_utilization_current_pct=float(verdicts.peak_utilization[0]) * 100.0,
        peak_utilization_proposed_pct=float(verdicts.peak_utilization[1]) * 100.0,
    )


def _empty(service: Service, limit_pct: float, note: str) -> SlaProjection:
    return SlaProjection(
        hourly=pd.DataFrame(),
        latency_modelled=False,
        note=note,
        latency_target_ms=service.sla.latency_p95_target_ms,
        saturation_limit_pct=limit_pct,
        breach_hours_current=0,
        breach_hours_proposed=0,
        p95_current_ms=float(np.nan),
        p95_proposed_ms=float(np.nan),
        peak_utilization_current_pct=float(np.nan),
        peak_utilization_proposed_pct=float(np.nan),
    )
