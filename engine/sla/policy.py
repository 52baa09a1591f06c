"""SLA policies: how strictly each policy class must keep its SLA, and what availability needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from engine.service import PolicyClass

REDUNDANT_AVAILABILITY_PCT = 99.9  # ≥ 2 replicas across ≥ 2 zones, and N+1 must hold
TRIPLE_AVAILABILITY_PCT = 99.99  # ≥ 3 replicas across ≥ 2 zones
SATURATION_LIMITS: Mapping[PolicyClass, float] = {
    "latency-critical": 0.65,
    "standard": 0.75,
    "batch": 0.90,
    "dev": 0.90,
}


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """Tolerances of a policy class: how strictly a candidate must keep the SLA.

    latency_hours_pct: projected p95 ≤ target in at least this share of hours (also used, with
    the target × n_plus_one_latency_factor, for N+1). saturation_limit: peak CPU utilization
    ceiling. error_risk_utilization: utilization from which errors are expected.
    """

    saturation_limit: float = 0.75
    latency_hours_pct: float = 99.0
    error_risk_utilization: float = 0.95
    n_plus_one_latency_factor: float = 1.5

    def __post_init__(self) -> None:
        if not 0 < self.saturation_limit <= 1:
            raise ValueError("saturation_limit must lie within (0, 1]")
        if not 0 < self.latency_hours_pct <= 100:
            raise ValueError("latency_hours_pct must lie within (0, 100]")
        if not 0 < self.error_risk_utilization <= 1:
            raise ValueError("error_risk_utilization must lie within (0, 1]")
        if self.n_plus_one_latency_factor < 1:
            raise ValueError("n_plus_one_latency_factor must be >= 1")

    @property
    def allowed_breach_pct(self) -> float:
        """100 − the % of hours latency must hold: the hours allowed over target."""
        return 100.0 - self.latency_hours_pct


def policy_for(policy_class: PolicyClass) -> SlaPolicy:
    """The default policy of a class: saturation limit 0.65 / 0.75 / 0.90 / 0.90."""
    return SlaPolicy(saturation_limit=SATURATION_LIMITS[policy_class])


def replicas_needed(availability_target_pct: float) -> int:
    """Replicas an availability target needs: 3 from 99.99 %, 2 from 99.9 %, else 1."""
    if availability_target_pct >= TRIPLE_AVAILABILITY_PCT:
        return 3
    return 2 if availability_target_pct >= REDUNDANT_AVAILABILITY_PCT else 1
