"""The simulation engine: a what-if scenario replayed over the history, with Monte Carlo paths.

Rules as in docs product.md "Simulation engine": the last `horizon_days` of hourly usage are
replayed with requests and CPU scaled by the demand growth, under the scenario's config;
Monte Carlo paths resample hour-of-week residuals (engine/simulation/paths.py). Latency is the
SLA engine's calibrated M/M/c projection, costs follow engine.cost's prices and the pricing
mix (engine/simulation/cost.py), and each path is judged by the SLA engine's rules
(engine/simulation/verdict.py). Everything is vectorized over paths × hours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.arrays import FloatArray
from engine.capacity import CapacityConfig
from engine.catalog import Catalog
from engine.risk import risk_label
from engine.service import Service
from engine.simulation.cost import (
    Commitment,
    PricingMix,
    covered_shares,
    hourly_cost,
    pricing_mix,
    replica_usd_per_hour,
)
from engine.simulation.hourly import HourlyProjection, LatencyModel, calibrate, project_hours
from engine.simulation.paths import PathDraws, draw_paths, hourly_band, week_weights
from engine.simulation.result import (
    CurrentDelta,
    HourlyOutlook,
    MonthlyCost,
    SimulationResult,
    SlaOutlook,
    Spread,
)
from engine.simulation.scenario import Scenario, replicas_per_hour, scenario_config
from engine.simulation.verdict import (
    INDICATORS,
    Verdicts,
    hourly_indicators,
    judge,
    replay_risk,
)
from engine.simulation.window import recent
from engine.sla import REDUNDANT_AVAILABILITY_PCT, SlaPolicy, policy_for
from engine.units import HOURS_PER_MONTH
from engine.usage import UsageWindow


@dataclass(frozen=True, slots=True)
class _Setting:
    """What every config of one simulation shares: the replayed window, calibration, rules."""

    window: UsageWindow
    model: LatencyModel
    monthly_weights: FloatArray  # an average week's weight of each hour × 730 h
    service: Service
    policy: SlaPolicy
    catalog: Catalog


@dataclass(frozen=True, slots=True)
class _Evaluated:
    """One config over the replay: projection, indicator + monthly-cost columns, replay verdict."""

    config: CapacityConfig
    projection: HourlyProjection
    columns: FloatArray  # hours × (INDICATORS + 5 monthly-cost columns, HourlyCost order)
    replay: Verdicts

    @property
    def replay_monthly_usd(self) -> FloatArray:
        """Per month of the replay: the summed cost columns (USD), summed as path_sums does."""
        monthly: FloatArray = self.columns.sum(axis=0)[INDICATORS:]
        return monthly


def simulate(
    usage: UsageWindow,
    current: CapacityConfig,
    scenario: Scenario,
    *,
    service: Service,
    catalog: Catalog,
    policy: SlaPolicy | None = None,
) -> SimulationResult:
    """Replay the scenario over the history and `scenario.paths` Monte Carlo paths.

    Rules: see the module docstring; P(SLA holds) = share of paths on which every SLA rule
    holds (latency share, saturation, error risk, memory, availability, N+1 when required);
    the delta compares with the current config on the unscaled history. `policy` defaults to
    the service's class policy. Raises InsufficientData (no hours in the horizon),
    UnknownInstanceType / UnknownRegion (prices) and ValueError (a change that does not fit
    the platform).
    """
    setting = _setting(recent(usage, scenario.horizon_days), current, service, catalog, policy)
    today_fleet_usd = current.replicas * _replica_usd(setting, current)
    config, replicas = _scenario_sizing(setting, current, scenario)
    config, commitment = _committed(setting, config, today_fleet_usd)
    mix = pricing_mix(
        config,
        catalog,
        commitment=commitment,
        commitment_discount_pct=scenario.commitment_discount_pct,
        spot_discount_pct=scenario.spot_discount_pct,
    )
    evaluated = _evaluate(setting, config, replicas, scale=scenario.demand_scale, mix=mix)
    today_replicas = np.full(setting.window.points, float(current.replicas))
    today_commitment = Commitment(current.commitment_coverage_pct, today_fleet_usd)
    today_mix = pricing_mix(current, catalog, commitment=today_commitment)
    today = _evaluate(setting, current, today_replicas, scale=1.0, mix=today_mix)
    draws = draw_paths(setting.window.hour_start, paths=scenario.paths, seed=scenario.seed)
    path_sums = draws.path_sums(evaluated.columns)
    return _result(setting, scenario, evaluated, today, path_sums, draws)


def _setting(
    window: UsageWindow,
    current: CapacityConfig,
    service: Service,
    catalog: Catalog,
    policy: SlaPolicy | None,
) -> _Setting:
    return _Setting(
        window=window,
        model=calibrate(window, current),
        monthly_weights=week_weights(window.hour_start) * HOURS_PER_MONTH,
        service=service,
        policy=policy or policy_for(service.policy_class),
        catalog=catalog,
    )


def _scenario_sizing(
    setting: _Setting, current: CapacityConfig, scenario: Scenario
) -> tuple[CapacityConfig, FloatArray]:
    """The scenario's config and the replicas it runs in each replayed hour."""
    cpu_cores = setting.window.cpu_used_p95_cores * scenario.demand_scale
    availability_pct = setting.service.sla.availability_target_pct
    config = scenario_config(
        current,
        scenario,
        catalog=setting.catalog,
        peak_cpu_cores=float(np.fmax.reduce(cpu_cores)),
        availability_target_pct=availability_pct,
    )
    replicas = replicas_per_hour(
        config, scenario, cpu_cores, availability_target_pct=availability_pct
    )
    return config, replicas


def _committed(
    setting: _Setting, config: CapacityConfig, today_fleet_usd: float
) -> tuple[CapacityConfig, Commitment]:
    """The commitment of the scenario's coverage lever (today's when not moved), sized against
    today's fleet, and the config restated with the share of its own fleet it covers."""
    commitment = Commitment(config.commitment_coverage_pct, today_fleet_usd)
    fleet_usd = config.replicas * _replica_usd(setting, config)
    return covered_shares(config, commitment, fleet_usd_per_hour=fleet_usd), commitment


def _replica_usd(setting: _Setting, config: CapacityConfig) -> float:
    return replica_usd_per_hour(config, region=setting.service.region, catalog=setting.catalog)


def _evaluate(
    setting: _Setting,
    config: CapacityConfig,
    replicas: FloatArray,
    *,
    scale: float,
    mix: PricingMix,
) -> _Evaluated:
    """Project, price and judge one config over the replayed hours (demand × `scale`)."""
    projection = project_hours(
        setting.window, config, replicas, model=setting.model, demand_scale=scale
    )
    indicators = hourly_indicators(projection, sla=setting.service.sla, policy=setting.policy)
    cost = hourly_cost(
        replicas, projection.running, replica_usd=_replica_usd(setting, config), mix=mix
    )
    columns = np.hstack([indicators, cost.stacked() * setting.monthly_weights[:, None]])
    replay = _judge(setting, config, projection, columns.sum(axis=0, keepdims=True))
    return _Evaluated(config, projection, columns, replay)


def _judge(
    setting: _Setting, config: CapacityConfig, projection: HourlyProjection, sums: FloatArray
) -> Verdicts:
    return judge(
        sums[:, :INDICATORS],
        projection,
        zones=config.zones,
        sla=setting.service.sla,
        policy=setting.policy,
    )


def _result(
    setting: _Setting,
    scenario: Scenario,
    evaluated: _Evaluated,
    today: _Evaluated,
    path_sums: FloatArray,
    draws: PathDraws,
) -> SimulationResult:
    cost = _monthly_cost(path_sums[:, INDICATORS:])
    return SimulationResult(
        config=evaluated.config,
        paths=draws.paths,
        demand_scale=scenario.demand_scale,
        cost=cost,
        hourly=_hourly_outlook(setting, evaluated.projection, draws),
        sla=_sla_outlook(setting, evaluated, path_sums),
        delta=_delta(cost, evaluated, today),
    )


def _hourly_outlook(
    setting: _Setting, projection: HourlyProjection, draws: PathDraws
) -> HourlyOutlook:
    return HourlyOutlook(
        hour_start=setting.window.hour_start,
        replicas=np.asarray(projection.replicas, dtype=np.float64),
        replay_utilization=projection.utilization,
        replay_latency_p95_ms=projection.latency_ms,
        utilization=hourly_band(projection.utilization, draws),
        latency_p95_ms=hourly_band(projection.latency_ms, draws),
        latency_target_ms=setting.service.sla.latency_p95_target_ms,
        saturation_limit=setting.policy.saturation_limit,
        latency_modelled=setting.model.modelled,
        latency_note=setting.model.note,
    )


def _sla_outlook(setting: _Setting, evaluated: _Evaluated, path_sums: FloatArray) -> SlaOutlook:
    sla, replay = setting.service.sla, evaluated.replay
    paths = _judge(setting, evaluated.config, evaluated.projection, path_sums)
    scores = replay_risk(
        evaluated.projection,
        replay,
        sla=sla,
        policy=setting.policy,
        modelled=setting.model.modelled,
    )
    score = int(scores.total[0])
    return SlaOutlook(
        observed_breach_hours=int(
            np.sum(setting.window.latency_p95_ms > sla.latency_p95_target_ms)
        ),
        breach_hours_replay=int(replay.breach_hours[0]),
        breach_hours_p50=float(np.median(paths.breach_hours)),
        breach_hours_by_path=paths.breach_hours,
        holds_replay=bool(replay.holds[0]),
        hold_probability=float(np.mean(paths.holds)),
        holds_by_path=paths.holds,
        n_plus_one_required=sla.availability_target_pct >= REDUNDANT_AVAILABILITY_PCT,
        n_plus_one_ok=bool(replay.n_plus_one_ok[0]),
        n_plus_one_hold_probability=float(np.mean(paths.n_plus_one_ok)),
        risk_score=score,
        risk_label=risk_label(score),
        risk_sub_scores=scores.at(0),
    )


def _monthly_cost(monthly_by_path: FloatArray) -> MonthlyCost:
    """Spreads of the five monthly-cost columns (HourlyCost order) across paths."""
    spreads = [Spread.of(monthly_by_path[:, column]) for column in range(5)]
    return MonthlyCost(
        list_usd=spreads[0],
        effective_usd=spreads[1],
        commitment_waste_usd=spreads[2],
        spot_savings_usd=spreads[3],
        schedule_savings_usd=spreads[4],
        effective_usd_by_path=monthly_by_path[:, 1],
    )


def _delta(cost: MonthlyCost, evaluated: _Evaluated, today: _Evaluated) -> CurrentDelta:
    current_list_usd, current_effective_usd = today.replay_monthly_usd[:2]
    current_breach_hours = int(today.replay.breach_hours[0])
    return CurrentDelta(
        current_monthly_list_usd=float(current_list_usd),
        current_monthly_effective_usd=float(current_effective_usd),
        current_breach_hours=current_breach_hours,
        monthly_list_usd_delta=cost.list_usd.p50 - float(current_list_usd),
        monthly_effective_usd_delta=cost.effective_usd.p50 - float(current_effective_usd),
        breach_hours_delta=int(evaluated.replay.breach_hours[0]) - current_breach_hours,
    )
