"""The pod and its HPA sized together: replicas follow the request, bounds keep the SLA."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.context import ServiceContext
from engine.kube.hpa import HpaPlan, HpaSpec, Pod, plan_hpa, size_pod
from engine.recommendation import Recommendation
from engine.rules.joint import joint
from engine.rules.sizing import lookback
from tests.engine.rules.builders import flat_usage, make_ctx
from tests.factories import PROD_SERVICE, make_k8s_config, make_service


def ctx_at(
    cpu_p95_cores: float,
    *,
    prod: bool = False,
    hours: int = 14 * 24,
    memory_gib: float = 5.0,
    **config: Any,
) -> ServiceContext:
    """A 10 × (1 core, 1 GiB) deployment with flat demand (5 GiB in all); dev unless `prod`."""
    settings = {"replicas": 10, "min_replicas": 1, "zones": 1, "vcpu_per_replica": 1.0,
                "cpu_request_cores": 1.0, "memory_request_gib": 1.0, **config}  # fmt: skip
    service = make_service(
        platform="kubernetes", region="us-central1", **(PROD_SERVICE if prod else {})
    )
    usage = flat_usage(hours, cpu_p95_cores=cpu_p95_cores, memory_gib=memory_gib)
    return make_ctx(make_k8s_config(**settings), usage, service=service)


def planned(ctx: ServiceContext, hpa: HpaSpec, pod: Pod) -> HpaPlan:
    return plan_hpa(ctx, lookback(ctx.usage, ctx.config, ctx.profile), hpa, pod)


def test_halving_the_request_doubles_the_replicas_within_max() -> None:
    ctx = ctx_at(7.0)

    plan = planned(ctx, HpaSpec(2, 30, 70.0), Pod(0.5, 1.0))

    assert plan.mean_replicas_current == 10
    assert plan.mean_replicas == 20
    assert plan.peak_replicas == 20
    assert plan.proposed == HpaSpec(2, 30, 70.0)
    assert plan.changes == ()
    assert plan.verdict.passes


def test_halving_the_request_raises_max_when_peak_needs_more() -> None:
    ctx = ctx_at(7.0)

    plan = planned(ctx, HpaSpec(2, 15, 70.0), Pod(0.5, 1.0))

    assert plan.proposed.max_replicas == 20
    assert plan.changes == ("maxReplicas 15 → 20",)


def test_a_target_above_the_saturation_limit_comes_down_to_it() -> None:
    ctx = ctx_at(7.0, prod=True, zones=2)  # standard policy: saturation limit 0.75

    plan = planned(ctx, HpaSpec(2, 30, 90.0), Pod(1.0, 1.0))

    assert plan.proposed.target_cpu_utilization_pct == 75
    assert plan.peak_replicas == 10  # ceil(7 / 0.75)
    assert plan.verdict.peak_utilization <= 0.75


def test_availability_raises_min_and_n_plus_one_raises_the_peak_count() -> None:
    # 1.4 cores at 75 %: the HPA wants 2 pods, but losing one leaves 1 core for 1.4 (N+1 fails).
    ctx = ctx_at(1.4, prod=True, zones=2, memory_gib=1.0)

    plan = planned(ctx, HpaSpec(1, 2, 75.0), Pod(1.0, 1.0))

    assert plan.proposed.min_replicas == 2  # 99.9 % needs two
    assert plan.peak_replicas == 3
    assert plan.proposed.max_replicas == 3
    assert plan.verdict.n_plus_one_ok


def test_an_availability_floor_above_max_lifts_max_with_it() -> None:
    ctx = ctx_at(0.2, prod=True, zones=2, memory_gib=0.1)

    plan = planned(ctx, HpaSpec(1, 1, 70.0), Pod(1.0, 1.0))

    assert (plan.proposed.min_replicas, plan.proposed.max_replicas) == (2, 2)
    assert plan.changes == ("minReplicas 1 → 2", "maxReplicas 1 → 2")


def test_under_an_hpa_a_smaller_cpu_request_costs_memory_so_the_current_size_stays() -> None:
    ctx = ctx_at(7.0)  # $0.02 per core-h, $0.003 per GiB-h

    result = size_pod(ctx, HpaSpec(2, 30, 70.0), Pod(0.5, 1.0))

    assert isinstance(result, HpaPlan)
    assert result.pod == Pod(1.0, 1.0)
    assert result.monthly_cost_delta_usd == pytest.approx(0.0)


def test_a_smaller_pod_in_cpu_and_memory_wins_and_saves() -> None:
    ctx = ctx_at(7.0)

    result = size_pod(ctx, HpaSpec(2, 30, 70.0), Pod(0.5, 0.25))

    assert isinstance(result, HpaPlan)
    assert result.pod == Pod(0.5, 0.25)
    current_usd = 10 * (1.0 * 0.02 + 1.0 * 0.003) * 730
    assert result.monthly_cost_current_usd == pytest.approx(current_usd)
    assert result.monthly_cost_usd == pytest.approx(20 * (0.5 * 0.02 + 0.25 * 0.003) * 730)


def test_without_an_hpa_the_joint_rule_decides() -> None:
    ctx = ctx_at(2.0)

    result = size_pod(ctx, None, Pod(0.5, 1.0))

    expected = joint(ctx)
    assert isinstance(result, Recommendation)
    assert (result.kind, result.outcome, result.proposed) == (
        expected.kind,
        expected.outcome,
        expected.proposed,
    )


def test_too_little_history_is_not_enough_data() -> None:
    result = size_pod(ctx_at(2.0, hours=10), HpaSpec(2, 30, 70.0), Pod(0.5, 1.0))

    assert isinstance(result, Recommendation)
    assert result.outcome == "not_enough_data"


def test_a_pod_without_a_cpu_request_is_not_applicable() -> None:
    result = size_pod(ctx_at(2.0, cpu_request_cores=0.0), HpaSpec(2, 30, 70.0), Pod(0.5, 1.0))

    assert isinstance(result, Recommendation)
    assert result.outcome == "not_applicable"


def test_the_hpa_formula_clamps_to_its_bounds_and_ignores_missing_hours() -> None:
    hpa = HpaSpec(2, 5, 50.0)

    replicas = hpa.replicas(np.array([0.1, 1.0, 1.2, 10.0, np.nan]), 1.0)

    assert replicas.tolist() == [2, 2, 3, 5, 2]


@pytest.mark.parametrize(("low", "high", "target"), [(0, 3, 50.0), (4, 3, 50.0), (1, 3, 0.0)])
def test_an_invalid_hpa_is_refused(low: int, high: int, target: float) -> None:
    with pytest.raises(ValueError, match=r"HPA|target"):
        HpaSpec(low, high, target)


@settings(max_examples=40, deadline=None)
@given(
    peak_cores=st.floats(0.05, 40.0),
    request_cores=st.floats(0.05, 4.0),
    target_pct=st.floats(20.0, 100.0),
    bounds=st.tuples(st.integers(1, 5), st.integers(0, 30)),
    prod=st.booleans(),
)
def test_at_max_replicas_peak_demand_stays_within_the_proposed_target(
    peak_cores: float,
    request_cores: float,
    target_pct: float,
    bounds: tuple[int, int],
    prod: bool,
) -> None:
    low, extra = bounds
    ctx = ctx_at(peak_cores, prod=prod, zones=2, memory_gib=0.1)

    plan = planned(ctx, HpaSpec(low, low + extra, target_pct), Pod(request_cores, 1.0))

    proposed = plan.proposed
    at_max_pct = 100.0 * peak_cores / (proposed.max_replicas * request_cores)
    assert at_max_pct <= proposed.target_cpu_utilization_pct + 1e-6
    assert proposed.target_cpu_utilization_pct <= 100.0 * ctx.policy.saturation_limit
    assert proposed.min_replicas >= low
    assert proposed.max_replicas >= max(low + extra, plan.peak_replicas)
