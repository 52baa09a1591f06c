"""Worked examples of the simulation engine: replay, costs, pricing mix, schedule, delta."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from engine.capacity import CapacityConfig
from engine.cost import config_cost
from engine.errors import InsufficientData
from engine.simulation import Scenario, SimulationResult, simulate
from engine.sla import Candidates, evaluate_candidates, policy_for
from engine.units import HOURS_PER_MONTH
from engine.usage import UsageWindow
from tests.engine.simulation_builders import make_catalog, seasonal_usage
from tests.factories import PROD_SERVICE, make_k8s_config, make_service, make_vm_config

FOUR_WEEKS = 672
CATALOG = make_catalog()
SERVICE = make_service(**PROD_SERVICE)
M5_LARGE_USD = 0.096
ONE_YEAR_DISCOUNT = 0.37
SPOT_DISCOUNT = 0.70


def run(
    scenario: Scenario | None = None,
    *,
    usage: UsageWindow | None = None,
    current: CapacityConfig | None = None,
    **overrides: Any,
) -> SimulationResult:
    return simulate(
        usage if usage is not None else seasonal_usage(FOUR_WEEKS),
        current or make_vm_config(replicas=4),
        scenario or Scenario(paths=100, **overrides),
        service=SERVICE,
        catalog=CATALOG,
    )


# --- the replay ----------------------------------------------------------------------------


def test_no_change_and_no_growth_costs_the_same_as_today() -> None:
    result = run()

    assert result.delta.monthly_effective_usd_delta == pytest.approx(0.0, abs=1e-9)
    assert result.delta.monthly_list_usd_delta == pytest.approx(0.0, abs=1e-9)
    assert result.delta.breach_hours_delta == 0


def test_no_change_replays_the_observed_breach_hours() -> None:
    result = run()

    assert result.sla.observed_breach_hours > 0  # the fixture breaches now and then
    assert result.sla.breach_hours_replay == result.sla.observed_breach_hours


def test_the_replay_agrees_with_the_sla_engine() -> None:
    usage = seasonal_usage(FOUR_WEEKS)
    current = make_vm_config(replicas=4)
    scenario = Scenario(growth_pct=35.0, replicas=3, paths=10)

    result = run(scenario, usage=usage, current=current)
    verdicts = evaluate_candidates(
        usage,
        current,
        Candidates.of(replace(current, replicas=3)),
        sla=SERVICE.sla,
        policy=policy_for("standard"),
        demand_scale=1.35,
    )

    assert result.sla.breach_hours_replay == int(verdicts.breach_hours[0])
    assert result.sla.holds_replay == bool(verdicts.passes[0])
    assert result.sla.risk_score == int(verdicts.risk_score[0])


def test_growth_scales_utilization_but_not_memory() -> None:
    today, grown = run(Scenario(paths=10)), run(Scenario(growth_pct=50.0, paths=10))

    np.testing.assert_allclose(
        grown.hourly.replay_utilization, 1.5 * today.hourly.replay_utilization
    )
    assert grown.sla.risk_sub_scores["memory"] == today.sla.risk_sub_scores["memory"]


def test_growth_adds_breach_hours_and_lowers_the_odds() -> None:
    today, grown = run(Scenario(paths=200)), run(Scenario(growth_pct=60.0, paths=200))

    assert grown.sla.breach_hours_replay > today.sla.breach_hours_replay
    assert grown.sla.breach_hours_p50 > today.sla.breach_hours_p50
    assert grown.sla.hold_probability <= today.sla.hold_probability
    assert (
        grown.delta.breach_hours_delta
        == grown.sla.breach_hours_replay - today.sla.breach_hours_replay
    )


def test_more_replicas_never_add_breach_hours() -> None:
    results = [run(Scenario(growth_pct=40.0, replicas=n, paths=100)) for n in range(2, 8)]

    replays = [r.sla.breach_hours_replay for r in results]
    assert replays == sorted(replays, reverse=True)
    for fewer, more in itertools.pairwise(results):
        assert np.all(more.sla.breach_hours_by_path <= fewer.sla.breach_hours_by_path)
        assert more.sla.hold_probability >= fewer.sla.hold_probability


# --- costs ---------------------------------------------------------------------------------


def test_an_always_on_fleet_costs_what_engine_cost_says() -> None:
    scenario = Scenario(commitment_coverage_pct=30.0, spot_pct=20.0, paths=10)

    result = run(scenario)
    expected = config_cost(result.config, region="us-east-1", catalog=CATALOG)

    assert result.cost.list_usd.p50 == pytest.approx(expected.monthly_list_usd, rel=1e-12)
    assert result.cost.effective_usd.p50 == pytest.approx(expected.monthly_effective_usd, rel=1e-12)
    assert result.cost.commitment_waste_usd.p95 == 0.0


def test_weekdays_07_to_20_cost_65_of_168_hours_of_always() -> None:
    always = run(Scenario(paths=10))
    on_hours = run(Scenario(schedule="weekdays 07-20", paths=10))

    assert on_hours.cost.list_usd.p50 == pytest.approx(always.cost.list_usd.p50 * 65 / 168)
    assert on_hours.cost.effective_usd.p50 == pytest.approx(
        always.cost.effective_usd.p50 * 65 / 168
    )
    assert on_hours.cost.schedule_savings_usd.p50 == pytest.approx(
        always.cost.effective_usd.p50 * 103 / 168
    )


def test_a_90_day_window_still_prices_whole_weeks() -> None:
    usage = seasonal_usage()  # 12.86 weeks: hours-of-week occur 12 or 13 times

    result = run(Scenario(schedule="weekdays 07-20", paths=10), usage=usage)

    assert result.cost.list_usd.p50 == pytest.approx(4 * M5_LARGE_USD * HOURS_PER_MONTH * 65 / 168)


def test_a_commitment_on_an_always_on_fleet_wastes_nothing() -> None:
    result = run(Scenario(commitment_coverage_pct=100.0, paths=10))

    assert result.cost.commitment_waste_usd.p95 == 0.0
    assert result.cost.effective_usd.p50 == pytest.approx(
        4 * M5_LARGE_USD * (1 - ONE_YEAR_DISCOUNT) * HOURS_PER_MONTH
    )


def test_a_commitment_idles_off_schedule() -> None:
    scenario = Scenario(schedule="weekdays 07-20", commitment_coverage_pct=50.0, paths=10)

    result = run(scenario)

    idle_share = 103 / 168
    committed_usd = 2 * M5_LARGE_USD * (1 - ONE_YEAR_DISCOUNT) * HOURS_PER_MONTH
    assert result.cost.commitment_waste_usd.p50 == pytest.approx(committed_usd * idle_share)


def test_coverage_beyond_the_autoscaled_base_is_wasted() -> None:
    base = Scenario(target_utilization=0.5, autoscaling=True, paths=100)
    replicas = run(base).hourly.replicas
    # coverage is a share of today's fleet (4 replicas), bought once, whatever the scenario runs
    base_share_pct = 100.0 * replicas.min() / 4

    wastes = [
        run(replace(base, commitment_coverage_pct=pct)).cost.commitment_waste_usd.p50
        for pct in (base_share_pct, base_share_pct + 10.0, base_share_pct + 30.0, 100.0)
    ]

    assert replicas.min() < replicas.max()  # the fixture's demand swings enough to scale
    assert wastes[0] == pytest.approx(0.0, abs=1e-9)
    assert 0.0 < wastes[1] < wastes[2] < wastes[3]


def test_autoscaling_spreads_the_monthly_cost_across_paths() -> None:
    result = run(Scenario(target_utilization=0.5, autoscaling=True, paths=200))

    spread = result.cost.effective_usd
    assert spread.p5 < spread.p95
    assert spread.p5 <= spread.p50 <= spread.p95


def test_spot_saves_its_discount_on_its_share() -> None:
    result = run(Scenario(spot_pct=50.0, paths=10))

    saved_usd = 2 * M5_LARGE_USD * SPOT_DISCOUNT * HOURS_PER_MONTH
    assert result.cost.spot_savings_usd.p50 == pytest.approx(saved_usd)
    assert result.delta.monthly_effective_usd_delta == pytest.approx(-saved_usd)


def test_scenario_discounts_override_the_catalog() -> None:
    result = run(Scenario(commitment_coverage_pct=100.0, commitment_discount_pct=50.0, paths=10))

    assert result.cost.effective_usd.p50 == pytest.approx(4 * M5_LARGE_USD * 0.5 * HOURS_PER_MONTH)


# --- config changes ------------------------------------------------------------------------


def test_a_new_instance_type_brings_its_size_and_price() -> None:
    result = run(Scenario(instance_type="m5.xlarge", replicas=2, paths=10))

    assert (result.config.vcpu_per_replica, result.config.memory_gib_per_replica) == (4.0, 16.0)
    assert result.cost.list_usd.p50 == pytest.approx(2 * 0.192 * HOURS_PER_MONTH)


def test_pod_requests_set_the_size_of_a_kubernetes_service() -> None:
    current = make_k8s_config(replicas=8, zones=2)
    scenario = Scenario(cpu_request_cores=1.0, memory_request_gib=2.0, replicas=6, paths=10)

    result = run(scenario, current=current)

    assert result.config.vcpu_per_replica == 1.0
    assert result.cost.list_usd.p50 == pytest.approx(
        6 * (1.0 * 0.0218 + 2.0 * 0.0029) * HOURS_PER_MONTH
    )


def test_a_target_utilization_sizes_replicas_for_the_grown_peak() -> None:
    usage = seasonal_usage(FOUR_WEEKS)
    peak_cores = float(np.max(usage.cpu_used_p95_cores)) * 1.2

    result = run(Scenario(growth_pct=20.0, target_utilization=0.6, paths=10), usage=usage)

    assert result.config.replicas == max(int(np.ceil(peak_cores / (2.0 * 0.6))), 2)


def test_the_cost_profile_packs_tighter_than_performance() -> None:
    cost, performance = (
        run(Scenario(profile="cost", paths=10)),
        run(Scenario(profile="performance", paths=10)),
    )

    assert cost.config.replicas < performance.config.replicas


def test_an_instance_type_on_kubernetes_is_refused() -> None:
    with pytest.raises(ValueError, match="instance_type"):
        run(Scenario(instance_type="m5.large", paths=10), current=make_k8s_config())


def test_pod_requests_on_a_vm_are_refused() -> None:
    with pytest.raises(ValueError, match="pod requests"):
        run(Scenario(cpu_request_cores=1.0, paths=10))


# --- SLA odds, risk, N+1 -------------------------------------------------------------------


def test_a_well_provisioned_service_holds_on_every_path() -> None:
    result = run(Scenario(replicas=8, paths=100))

    assert result.sla.hold_probability == 1.0
    assert result.sla.n_plus_one_ok
    assert result.sla.risk_score <= 2


def test_an_undersized_service_fails_on_every_path() -> None:
    result = run(Scenario(replicas=2, growth_pct=50.0, paths=100))

    assert result.sla.hold_probability == 0.0
    assert not result.sla.holds_replay
    assert result.sla.risk_score == 4
    assert result.sla.risk_label == "high"


def test_switching_off_a_service_with_traffic_breaches_every_off_hour() -> None:
    result = run(Scenario(schedule="weekdays 07-20", paths=10))

    off_hours = FOUR_WEEKS * 103 // 168
    assert result.sla.breach_hours_replay >= off_hours
    assert np.all(
        np.isinf(result.hourly.replay_latency_p95_ms[np.isnan(result.hourly.replay_utilization)])
    )
    assert result.sla.hold_probability == 0.0


def test_a_window_without_latency_samples_is_not_modelled() -> None:
    usage = seasonal_usage(FOUR_WEEKS, latency_p95_ms=np.full(FOUR_WEEKS, np.nan))

    result = run(Scenario(paths=10), usage=usage)

    assert not result.hourly.latency_modelled
    assert result.hourly.latency_note == "no p95 latency observations"
    assert result.sla.breach_hours_replay == 0
    assert np.isnan(result.hourly.latency_p95_ms.p50).all()
    assert result.sla.risk_sub_scores["latency"] == 1


def test_an_empty_window_is_insufficient_data() -> None:
    usage = seasonal_usage(FOUR_WEEKS)
    empty = replace(
        usage,
        **{
            name: getattr(usage, name)[:0]
            for name in (
                "hour_start",
                "cpu_used_mean_cores",
                "cpu_used_p95_cores",
                "memory_used_max_gib",
                "requests_per_s",
                "latency_p95_ms",
                "error_rate_pct",
            )
        },
    )

    with pytest.raises(InsufficientData):
        run(Scenario(paths=10), usage=empty)


def test_the_horizon_keeps_the_last_days() -> None:
    result = run(Scenario(horizon_days=7, paths=10))

    assert len(result.hourly.hour_start) == 168
    assert result.hourly.hour_start[-1] == seasonal_usage(FOUR_WEEKS).hour_start[-1]


# --- bands and determinism -----------------------------------------------------------------


def test_bands_are_ordered_and_hug_the_replay() -> None:
    result = run(Scenario(growth_pct=20.0, paths=100))

    for band in (result.hourly.utilization, result.hourly.latency_p95_ms):
        assert np.all(band.p5 <= band.p50)
        assert np.all(band.p50 <= band.p95)
    inside = (result.hourly.utilization.p5 <= result.hourly.replay_utilization) & (
        result.hourly.replay_utilization <= result.hourly.utilization.p95
    )
    assert inside.mean() > 0.8


def test_the_same_seed_gives_the_same_result() -> None:
    first, second = run(Scenario(growth_pct=45.0, seed=11)), run(Scenario(growth_pct=45.0, seed=11))

    np.testing.assert_array_equal(first.sla.breach_hours_by_path, second.sla.breach_hours_by_path)
    np.testing.assert_array_equal(first.sla.holds_by_path, second.sla.holds_by_path)
    assert first.sla.hold_probability == second.sla.hold_probability


def test_another_seed_draws_other_paths() -> None:
    first, second = run(Scenario(growth_pct=45.0, seed=11)), run(Scenario(growth_pct=45.0, seed=12))

    assert not np.array_equal(first.sla.breach_hours_by_path, second.sla.breach_hours_by_path)
    assert first.sla.breach_hours_replay == second.sla.breach_hours_replay


def test_there_is_one_result_per_path() -> None:
    result = run(Scenario(paths=37))

    assert result.paths == 37
    assert result.sla.breach_hours_by_path.shape == (37,)
    assert result.cost.effective_usd_by_path.shape == (37,)
