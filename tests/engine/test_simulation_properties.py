"""Invariants of the simulation engine, over random scenarios (Hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.simulation import Scenario, SimulationResult, simulate
from tests.engine.simulation_builders import make_catalog, seasonal_usage
from tests.factories import PROD_SERVICE, make_service, make_vm_config

TWO_WEEKS = 336
CATALOG = make_catalog()
SERVICE = make_service(**PROD_SERVICE)
USAGE = seasonal_usage(TWO_WEEKS, seed=3)
CURRENT = make_vm_config(replicas=4)

growths = st.floats(min_value=-50.0, max_value=150.0, allow_nan=False)
seeds = st.integers(min_value=0, max_value=2**32)
replica_counts = st.integers(min_value=1, max_value=12)


def run(scenario: Scenario) -> SimulationResult:
    return simulate(USAGE, CURRENT, scenario, service=SERVICE, catalog=CATALOG)


@settings(max_examples=30, deadline=None)
@given(growth=growths, replicas=replica_counts, seed=seeds)
def test_the_hold_probability_is_a_probability(growth: float, replicas: int, seed: int) -> None:
    result = run(Scenario(growth_pct=growth, replicas=replicas, paths=40, seed=seed))

    assert 0.0 <= result.sla.hold_probability <= 1.0
    assert 0.0 <= result.sla.n_plus_one_hold_probability <= 1.0
    assert result.sla.hold_probability == np.mean(result.sla.holds_by_path)
    assert 0 <= result.sla.risk_score <= 4


@settings(max_examples=30, deadline=None)
@given(growth=growths, replicas=replica_counts, seed=seeds, autoscaling=st.booleans())
def test_bands_and_spreads_are_ordered(
    growth: float, replicas: int, seed: int, autoscaling: bool
) -> None:
    sizing = {"target_utilization": 0.6, "autoscaling": True} if autoscaling else {}
    scenario = Scenario(
        growth_pct=growth,
        replicas=None if autoscaling else replicas,
        paths=40,
        seed=seed,
        **sizing,  # type: ignore[arg-type]
    )

    result = run(scenario)

    for band in (result.hourly.utilization, result.hourly.latency_p95_ms):
        known = ~np.isnan(band.p50)
        assert np.all(band.p5[known] <= band.p50[known])
        assert np.all(band.p50[known] <= band.p95[known])
    for spread in (result.cost.list_usd, result.cost.effective_usd):
        assert spread.p5 <= spread.p50 <= spread.p95


@settings(max_examples=25, deadline=None)
@given(growth=growths, replicas=replica_counts, seed=seeds)
def test_one_more_replica_never_hurts(growth: float, replicas: int, seed: int) -> None:
    fewer = run(Scenario(growth_pct=growth, replicas=replicas, paths=40, seed=seed))
    more = run(Scenario(growth_pct=growth, replicas=replicas + 1, paths=40, seed=seed))

    assert more.sla.breach_hours_replay <= fewer.sla.breach_hours_replay
    assert np.all(more.sla.breach_hours_by_path <= fewer.sla.breach_hours_by_path)
    assert np.all(more.sla.holds_by_path >= fewer.sla.holds_by_path)
    assert more.sla.hold_probability >= fewer.sla.hold_probability
    assert more.sla.risk_score <= fewer.sla.risk_score


@settings(max_examples=20, deadline=None)
@given(growth=growths, seed=seeds)
def test_the_same_seed_reproduces_the_result(growth: float, seed: int) -> None:
    scenario = Scenario(growth_pct=growth, paths=30, seed=seed)

    first, second = run(scenario), run(scenario)

    np.testing.assert_array_equal(first.sla.breach_hours_by_path, second.sla.breach_hours_by_path)
    np.testing.assert_array_equal(
        first.cost.effective_usd_by_path, second.cost.effective_usd_by_path
    )
    np.testing.assert_array_equal(first.hourly.latency_p95_ms.p50, second.hourly.latency_p95_ms.p50)


@settings(max_examples=25, deadline=None)
@given(
    coverage=st.floats(min_value=0.0, max_value=60.0),
    spot=st.floats(min_value=0.0, max_value=40.0),
    schedule=st.sampled_from(["always", "weekdays 07-20", "weekdays 00-24"]),
)
def test_effective_cost_never_exceeds_list_plus_waste(
    coverage: float, spot: float, schedule: str
) -> None:
    scenario = Scenario(commitment_coverage_pct=coverage, spot_pct=spot, schedule=schedule, paths=5)

    cost = run(scenario).cost

    assert cost.effective_usd.p50 <= cost.list_usd.p50 + cost.commitment_waste_usd.p50 + 1e-9
    assert cost.commitment_waste_usd.p50 >= 0.0
    assert cost.spot_savings_usd.p50 >= 0.0
    assert cost.schedule_savings_usd.p50 >= -1e-9
