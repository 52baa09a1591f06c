"""A commitment is bought for a fixed amount of capacity: worked examples of what a scenario pays.

The fleet: 4 × m5.large at $0.096 /h, 60 % committed at the one-year discount (37 %), always on.
Today's commitment covers 0.6 × 4 = 2.4 replicas' worth of on-demand spend every hour:

    today   = (2.4 × 0.096 × 0.63 + 1.6 × 0.096) × 730 h = 0.298752 $/h × 730 = $218.09 /mo

and today's fleet at on-demand prices (its on-demand equivalent) is 4 × 0.096 × 730 = $280.32 /mo.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine.cost import config_cost
from engine.simulation import FleetMember, Scenario, SimulationResult, simulate, simulate_fleet
from engine.units import HOURS_PER_MONTH
from tests.engine.simulation_builders import make_catalog, seasonal_usage
from tests.factories import PROD_SERVICE, make_service, make_vm_config

FOUR_WEEKS = 672
CATALOG = make_catalog()
SERVICE = make_service(**PROD_SERVICE)
USAGE = seasonal_usage(FOUR_WEEKS)
COMMITTED = make_vm_config(replicas=4, commitment_coverage_pct=60.0)
REPLICA_USD = 0.096  # m5.large, us-east-1, per hour
COMMITTED_RATE_USD = REPLICA_USD * (1 - 0.37)  # a committed replica-hour
TODAY_USD = (2.4 * COMMITTED_RATE_USD + 1.6 * REPLICA_USD) * HOURS_PER_MONTH  # $218.09
ON_DEMAND_EQUIVALENT_USD = 4 * REPLICA_USD * HOURS_PER_MONTH  # $280.32


def run(**levers: Any) -> SimulationResult:
    return simulate(
        USAGE, COMMITTED, Scenario(paths=20, **levers), service=SERVICE, catalog=CATALOG
    )


def test_today_pays_the_commitment_and_the_uncovered_replicas_on_demand() -> None:
    result = run()

    assert result.delta.current_monthly_effective_usd == pytest.approx(TODAY_USD)
    assert result.delta.monthly_effective_usd_delta == 0.0


def test_levers_set_to_the_current_config_change_nothing() -> None:
    result = run(replicas=4, commitment_coverage_pct=60.0, commitment_discount_pct=37.0)

    assert result.delta.monthly_effective_usd_delta == 0.0
    assert result.delta.monthly_list_usd_delta == 0.0
    assert result.config == COMMITTED


def test_one_more_replica_runs_on_demand() -> None:
    result = run(replicas=5)

    # the commitment still covers 2.4 replicas: the fifth pays the full $0.096 /h
    assert result.delta.monthly_effective_usd_delta == pytest.approx(REPLICA_USD * HOURS_PER_MONTH)
    assert result.delta.monthly_effective_usd_delta == pytest.approx(
        0.25 * ON_DEMAND_EQUIVALENT_USD
    )


def test_fewer_replicas_leave_part_of_the_commitment_unused() -> None:
    result = run(replicas=2)

    # 2.4 replicas' worth is paid for, 2 run on it: 0.4 × $0.06048 /h is wasted
    assert result.cost.effective_usd.p50 == pytest.approx(
        2.4 * COMMITTED_RATE_USD * HOURS_PER_MONTH
    )
    assert result.cost.commitment_waste_usd.p50 == pytest.approx(
        0.4 * COMMITTED_RATE_USD * HOURS_PER_MONTH
    )


def test_the_coverage_lever_sizes_the_commitment_against_todays_fleet() -> None:
    result = run(replicas=5, commitment_coverage_pct=100.0)

    # all of today's 4 replicas committed; the fifth on demand
    assert result.cost.effective_usd.p50 == pytest.approx(
        (4 * COMMITTED_RATE_USD + REPLICA_USD) * HOURS_PER_MONTH
    )


def test_the_coverage_lever_moves_the_cost() -> None:
    costs = [run(commitment_coverage_pct=pct).cost.effective_usd.p50 for pct in (0.0, 60.0, 100.0)]

    assert costs[0] == pytest.approx(ON_DEMAND_EQUIVALENT_USD)
    assert costs[1] == pytest.approx(TODAY_USD)
    assert costs[2] == pytest.approx(4 * COMMITTED_RATE_USD * HOURS_PER_MONTH)


def test_demand_moves_the_cost_when_the_count_follows_it() -> None:
    peak_cores = float(np.max(USAGE.cpu_used_p95_cores))

    for growth_pct in (-20.0, 10.0, 30.0):
        result = run(growth_pct=growth_pct, target_utilization=0.5)

        replicas = max(int(np.ceil(peak_cores * (1 + growth_pct / 100) / (2.0 * 0.5))), 2)
        assert result.config.replicas == replicas
        on_demand_replicas = max(replicas - 2.4, 0.0)
        committed_used = min(replicas, 2.4)
        waste = (2.4 - committed_used) * COMMITTED_RATE_USD
        assert result.cost.effective_usd.p50 == pytest.approx(
            (committed_used * COMMITTED_RATE_USD + waste + on_demand_replicas * REPLICA_USD)
            * HOURS_PER_MONTH
        )


def test_the_scenario_config_states_the_share_its_fleet_is_covered() -> None:
    result = run(replicas=5)

    assert result.config.commitment_coverage_pct == pytest.approx(48.0)  # 2.4 of 5 replicas
    priced = config_cost(result.config, region=SERVICE.region, catalog=CATALOG)
    assert priced.monthly_effective_usd == pytest.approx(result.cost.effective_usd.p50)


def test_a_commitment_covers_spend_not_instances_when_the_type_changes() -> None:
    result = run(instance_type="m5.xlarge", replicas=2)

    # $0.2304 /h of on-demand spend committed covers 1.2 of the 2 m5.xlarge ($0.192 /h each)
    assert result.cost.effective_usd.p50 == pytest.approx(
        (2.4 * COMMITTED_RATE_USD + 0.8 * 0.192) * HOURS_PER_MONTH
    )
    assert result.config.commitment_coverage_pct == pytest.approx(60.0)


def test_the_fleet_prices_the_replicas_that_keep_a_committed_service_whole_on_demand() -> None:
    member = FleetMember(service=SERVICE, current=COMMITTED, usage=USAGE)

    outcome = simulate_fleet([member], growth_pct=80.0, catalog=CATALOG).outcomes[0]

    assert outcome.cheapest_replicas is not None
    assert outcome.cheapest_replicas > 4
    extra = outcome.cheapest_replicas - 4
    assert outcome.monthly_effective_usd_current == pytest.approx(TODAY_USD)
    assert outcome.keep_whole_monthly_usd == pytest.approx(extra * REPLICA_USD * HOURS_PER_MONTH)
