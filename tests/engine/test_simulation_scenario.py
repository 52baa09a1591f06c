"""Scenario validation: what a what-if may ask for, and what it is refused."""

from __future__ import annotations

from typing import Any

import pytest

from engine.simulation import Scenario


def test_a_default_scenario_changes_nothing() -> None:
    scenario = Scenario()

    assert scenario.demand_scale == 1.0
    assert scenario.paths == 500
    assert scenario.horizon_days == 90
    assert scenario.wanted_utilization is None


def test_a_profile_brings_its_target_utilization() -> None:
    assert Scenario(profile="balanced").wanted_utilization == 0.65


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"growth_pct": -100.0}, "growth_pct"),
        ({"growth_pct": 5_000.0}, "growth_pct"),
        ({"growth_pct": float("nan")}, "growth_pct"),
        ({"replicas": 0}, "replicas"),
        ({"replicas": 3, "target_utilization": 0.6}, "at most one"),
        ({"target_utilization": 0.6, "profile": "cost"}, "at most one"),
        ({"target_utilization": 0.0}, "target_utilization"),
        ({"target_utilization": 1.5}, "target_utilization"),
        ({"profile": "frugal"}, "profile"),
        ({"autoscaling": True}, "autoscaling"),
        ({"autoscaling": True, "replicas": 4}, "autoscaling"),
        ({"instance_type": "m5.large", "cpu_request_cores": 1.0}, "not both"),
        ({"cpu_request_cores": 0.0}, "cpu_request_cores"),
        ({"memory_request_gib": -1.0}, "memory_request_gib"),
        ({"commitment_coverage_pct": 120.0}, "commitment_coverage_pct"),
        ({"spot_pct": -5.0}, "spot_pct"),
        ({"commitment_coverage_pct": 70.0, "spot_pct": 40.0}, "0..100"),
        ({"commitment_discount_pct": 100.0}, "commitment_discount_pct"),
        ({"spot_discount_pct": -1.0}, "spot_discount_pct"),
        ({"schedule": "nights"}, "schedule"),
        ({"schedule": "weekdays 20-07"}, "schedule"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"horizon_days": 1_000}, "horizon_days"),
        ({"paths": 0}, "paths"),
        ({"paths": 50_000}, "paths"),
        ({"seed": -1}, "seed"),
    ],
)
def test_a_bad_scenario_is_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Scenario(**fields)
