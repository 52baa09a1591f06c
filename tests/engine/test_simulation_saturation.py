"""A saturated hour (CPU demand ≥ capacity, ρ ≥ 1) has no steady state: p95 +inf, a breach.

The window: four weeks of the same hour — 300 req/s at 10 ms of CPU each (3 cores mean), p95 CPU
4 cores, p95 latency 100 ms — except ten hot hours, each at its own hour-of-week, whose p95 CPU
is 7 cores. The fleet: 4 × m5.large = 8 cores (N+1: 6). At +20 % demand a hot hour needs
8.4 cores ≥ 8 (105 %), the others 4.8 (60 %). The mean-based M/M/c load stays at
3.6 of 8 servers in every hour, so the queueing model alone sees nothing wrong there.
"""

from __future__ import annotations

import numpy as np

from engine.simulation import Scenario, SimulationResult, simulate
from engine.simulation.paths import draw_paths
from engine.sla import Candidates, evaluate_candidates, policy_for
from engine.usage import UsageWindow
from tests.engine.simulation_builders import START, make_catalog
from tests.factories import PROD_SERVICE, make_service, make_usage, make_vm_config

FOUR_WEEKS = 672
HOT_HOURS = np.arange(5, 168, 17)[:10]  # ten distinct hours-of-week in the first week
CATALOG = make_catalog()
SERVICE = make_service(**PROD_SERVICE)  # p95 target 150 ms, 99.9 %: N+1 required
CURRENT = make_vm_config(replicas=4)


def hot_usage() -> UsageWindow:
    cpu_p95_cores = np.full(FOUR_WEEKS, 4.0)
    cpu_p95_cores[HOT_HOURS] = 7.0
    return make_usage(
        hours=FOUR_WEEKS,
        hour_start=START + np.arange(FOUR_WEEKS) * np.timedelta64(3600, "s"),
        cpu_used_mean_cores=np.full(FOUR_WEEKS, 3.0),
        cpu_used_p95_cores=cpu_p95_cores,
        requests_per_s=np.full(FOUR_WEEKS, 300.0),
        latency_p95_ms=np.full(FOUR_WEEKS, 100.0),
        memory_used_max_gib=np.full(FOUR_WEEKS, 6.0),
    )


USAGE = hot_usage()


def run(scenario: Scenario) -> SimulationResult:
    return simulate(USAGE, CURRENT, scenario, service=SERVICE, catalog=CATALOG)


def test_ten_saturated_hours_are_ten_breach_hours_with_unbounded_latency() -> None:
    result = run(Scenario(growth_pct=20.0, paths=50))

    latency = result.hourly.replay_latency_p95_ms
    assert np.all(result.hourly.replay_utilization[HOT_HOURS] >= 1.0)
    assert np.all(np.isposinf(latency[HOT_HOURS]))
    assert np.all(np.isfinite(np.delete(latency, HOT_HOURS)))  # the rest meets 150 ms
    assert result.sla.breach_hours_replay == 10
    assert result.delta.breach_hours_delta == 10


def test_every_path_breaches_in_each_saturated_hour_it_draws() -> None:
    scenario = Scenario(growth_pct=20.0, paths=300, seed=5)

    result = run(scenario)

    draws = draw_paths(USAGE.hour_start, paths=300, seed=5)
    hot_drawn = draws.counts_by_observed_hour()[:, HOT_HOURS].sum(axis=1)
    np.testing.assert_array_equal(result.sla.breach_hours_by_path, hot_drawn)
    assert result.sla.breach_hours_p50 == np.median(hot_drawn)  # 40 draws at 1/4: about 10
    # a path holds only if it never draws a hot hour: (3/4)^40, about 1 in 100,000
    assert result.sla.hold_probability == np.mean(hot_drawn == 0) == 0.0


def test_a_band_whose_quantile_falls_on_saturated_hours_is_saturated() -> None:
    result = run(Scenario(growth_pct=20.0, paths=50))

    band = result.hourly.latency_p95_ms
    hot_pools = np.isin(np.arange(FOUR_WEEKS) % 168, HOT_HOURS)
    # each hot pool holds 1 saturated hour of 4: the 95 % quantile (the 4th) is it, the median not
    assert np.all(np.isposinf(band.p95[hot_pools]))
    assert np.all(np.isfinite(band.p50))
    assert np.all(np.isfinite(band.p95[~hot_pools]))


def test_a_fleet_saturated_every_hour_has_an_unbounded_median_and_never_holds() -> None:
    result = run(Scenario(growth_pct=100.0, paths=50))  # p95 CPU 8 cores of 8 in every hour

    assert np.all(np.isposinf(result.hourly.latency_p95_ms.p50))
    assert result.sla.breach_hours_replay == FOUR_WEEKS
    assert result.sla.breach_hours_p50 == FOUR_WEEKS
    assert result.sla.hold_probability == 0.0
    assert result.sla.risk_sub_scores["latency"] == 4


def test_the_replay_and_the_sla_engine_count_the_same_saturated_breaches() -> None:
    result = run(Scenario(growth_pct=20.0, replicas=3, paths=10))
    verdicts = evaluate_candidates(
        USAGE,
        CURRENT,
        Candidates.of(make_vm_config(replicas=3)),
        sla=SERVICE.sla,
        policy=policy_for("standard"),
        demand_scale=1.2,
    )

    # 3 × 2 cores: the other hours need 4.8 of 6 (80 %), the hot ones 8.4 (140 %)
    assert int(verdicts.breach_hours[0]) == result.sla.breach_hours_replay == 10
    np.testing.assert_array_equal(
        np.isposinf(verdicts.projected_latency_ms[0]),
        np.isposinf(result.hourly.replay_latency_p95_ms),
    )
