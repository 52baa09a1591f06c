"""What a simulation returns: cost spreads, hourly bands, SLA odds, risk and the delta."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.arrays import BoolArray, FloatArray, IntArray
from engine.capacity import CapacityConfig
from engine.simulation.paths import Band


@dataclass(frozen=True, slots=True)
class Spread:
    """The 5th, 50th and 95th percentile of a per-path figure (linear interpolation)."""

    p5: float
    p50: float
    p95: float

    @classmethod
    def of(cls, values: FloatArray) -> Spread:
        """p5, p50 and p95 of `values` (numpy's linear percentiles)."""
        p5, p50, p95 = np.percentile(values, [5.0, 50.0, 95.0])
        return cls(float(p5), float(p50), float(p95))


@dataclass(frozen=True, slots=True)
class MonthlyCost:
    """Monthly USD (730 h, an average week of the replay) of the scenario, across paths.

    Degenerate (p5 = p50 = p95) unless autoscaling lets the fleet follow demand.
    """

    list_usd: Spread
    effective_usd: Spread
    commitment_waste_usd: Spread
    spot_savings_usd: Spread
    schedule_savings_usd: Spread
    effective_usd_by_path: FloatArray


@dataclass(frozen=True, slots=True)
class CurrentDelta:
    """The scenario against today: the current config on the observed (unscaled) history.

    *_delta = scenario − current; costs use the scenario's median path, breach hours the replays.
    """

    current_monthly_list_usd: float
    current_monthly_effective_usd: float
    current_breach_hours: int
    monthly_list_usd_delta: float
    monthly_effective_usd_delta: float
    breach_hours_delta: int


@dataclass(frozen=True, slots=True)
class HourlyOutlook:
    """Per replayed hour (`hour_start`): the scenario's utilization and p95 latency.

    `replay_*` is the observed history scaled by growth; `utilization` / `latency_p95_ms` are
    the bands across paths. Utilization is hourly p95 CPU / CPU capacity (a fraction, NaN off
    schedule); latency is NaN where not modelled and +inf where the hour has no steady state:
    saturated (utilization ≥ 1, ρ ≥ 1) or traffic meeting a stopped fleet. A band quantile
    that falls on such hours is +inf too.
    """

    hour_start: npt.NDArray[np.datetime64]
    replicas: FloatArray
    replay_utilization: FloatArray
    replay_latency_p95_ms: FloatArray
    utilization: Band
    latency_p95_ms: Band
    latency_target_ms: float
    saturation_limit: float
    latency_modelled: bool
    latency_note: str


@dataclass(frozen=True, slots=True)
class SlaOutlook:
    """Does the SLA hold: on the replay, and on what share of the Monte Carlo paths.

    Breach hours count hours with projected p95 above target, saturated hours (p95 +inf)
    included. Risk 0–4 (engine.risk) is scored on the replay.
    """

    observed_breach_hours: int
    breach_hours_replay: int
    breach_hours_p50: float
    breach_hours_by_path: IntArray
    holds_replay: bool
    hold_probability: float
    holds_by_path: BoolArray
    n_plus_one_required: bool
    n_plus_one_ok: bool
    n_plus_one_hold_probability: float
    risk_score: int
    risk_label: str
    risk_sub_scores: dict[str, int]


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """A scenario's outcome: the config it ran, cost, hourly outlook, SLA outlook, delta."""

    config: CapacityConfig
    paths: int
    demand_scale: float
    cost: MonthlyCost
    hourly: HourlyOutlook
    sla: SlaOutlook
    delta: CurrentDelta
