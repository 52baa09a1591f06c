"""Fleet growth scenarios: who breaks, the cheapest replica count that holds, what it costs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from engine.simulation import FleetMember, Scenario, simulate, simulate_fleet
from engine.units import HOURS_PER_MONTH
from tests.engine.simulation_builders import make_catalog, seasonal_usage
from tests.factories import PROD_SERVICE, make_service, make_vm_config

FOUR_WEEKS = 672
CATALOG = make_catalog()
REPLICA_MONTHLY_USD = 0.096 * HOURS_PER_MONTH


def member(service_id: int, replicas: int, **usage: object) -> FleetMember:
    return FleetMember(
        service=make_service(**PROD_SERVICE, id=service_id, slug=f"service-{service_id}"),
        current=make_vm_config(replicas=replicas),
        usage=seasonal_usage(FOUR_WEEKS, seed=service_id, **usage),  # type: ignore[arg-type]
    )


def test_a_roomy_service_holds_and_costs_nothing_more() -> None:
    fleet = simulate_fleet([member(1, 8)], growth_pct=10.0, catalog=CATALOG)

    outcome = fleet.outcomes[0]
    assert outcome.sla_holds
    assert outcome.keep_whole_monthly_usd == 0.0
    assert outcome.cheapest_replicas is not None
    assert outcome.cheapest_replicas < 8  # and it shows the headroom
    assert fleet.breaking_count == 0


def test_growth_breaks_a_tight_service_and_prices_the_fix() -> None:
    fleet = simulate_fleet([member(1, 4)], growth_pct=80.0, catalog=CATALOG)

    outcome = fleet.outcomes[0]
    assert not outcome.sla_holds
    assert outcome.cheapest_replicas is not None
    assert outcome.cheapest_replicas > 4
    extra = outcome.cheapest_replicas - 4
    assert outcome.keep_whole_monthly_usd == pytest.approx(extra * REPLICA_MONTHLY_USD)
    assert fleet.keep_whole_monthly_usd == pytest.approx(extra * REPLICA_MONTHLY_USD)


def test_the_cheapest_count_is_where_simulate_starts_to_hold() -> None:
    tight = member(1, 4)
    cheapest = simulate_fleet([tight], growth_pct=80.0, catalog=CATALOG).outcomes[0]
    assert cheapest.cheapest_replicas is not None

    def holds(replicas: int) -> bool:
        scenario = Scenario(growth_pct=80.0, replicas=replicas, paths=5)
        result = simulate(
            tight.usage, tight.current, scenario, service=tight.service, catalog=CATALOG
        )
        return result.sla.holds_replay

    assert holds(cheapest.cheapest_replicas)
    assert not holds(cheapest.cheapest_replicas - 1)


def test_a_latency_floor_above_target_cannot_be_bought_off() -> None:
    slow = member(1, 4, latency_ms=400.0)

    outcome = simulate_fleet([slow], growth_pct=0.0, catalog=CATALOG).outcomes[0]

    assert not outcome.sla_holds
    assert outcome.cheapest_replicas is None
    assert outcome.keep_whole_monthly_usd is None
    assert "no replica count" in outcome.note


def test_outcomes_follow_the_input_order() -> None:
    members = [member(3, 6), member(1, 3), member(2, 5)]

    fleet = simulate_fleet(members, growth_pct=30.0, catalog=CATALOG)

    assert [o.service_id for o in fleet.outcomes] == [3, 1, 2]
    assert fleet.breaking_count == sum(not o.sla_holds for o in fleet.outcomes)


def test_more_growth_never_mends_a_service() -> None:
    members = [member(i, r) for i, r in enumerate((3, 4, 5, 6))]

    holds = [
        np.array(
            [o.sla_holds for o in simulate_fleet(members, growth_pct=g, catalog=CATALOG).outcomes]
        )
        for g in (0.0, 25.0, 50.0, 100.0)
    ]

    for less, more in itertools.pairwise(holds):
        assert np.all(more <= less)


def test_a_growth_of_minus_100_is_refused() -> None:
    with pytest.raises(ValueError, match="growth_pct"):
        simulate_fleet([member(1, 4)], growth_pct=-100.0, catalog=CATALOG)
