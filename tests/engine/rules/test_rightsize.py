"""Worked examples and properties of vertical rightsizing (VM types and pod requests)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.rules.rightsize import allowed_families, fitting_rows, rightsize
from engine.sla import policy_for
from engine.units import HOURS_PER_MONTH
from tests.engine.rules.builders import (
    K8S_USD_PER_CORE_HOUR,
    K8S_USD_PER_GIB_HOUR,
    flat_usage,
    make_ctx,
    small_catalog,
)
from tests.factories import make_k8s_config, make_vm_config


def test_allowed_families_are_the_same_class_at_the_same_or_a_newer_generation() -> None:
    catalog = small_catalog()

    families = allowed_families(catalog, catalog.spec("m5.large"))

    assert families == {"m5", "m6i", "m6g"}  # c5 is another class; arm is filtered by fit


def test_fitting_types_are_cheapest_first_same_architecture_and_never_gpu() -> None:
    catalog = small_catalog()

    rows = fitting_rows(
        catalog,
        "us-east-1",
        min_vcpu=1.0,
        min_memory_gib=4.0,
        architecture="x86_64",
        families=frozenset({"m5", "m6i", "p3"}),
    )

    names = [catalog.instance_types.spec_at(int(row)).name for row in rows]
    assert names == ["m6i.large", "m5.large", "m5.xlarge", "m5.2xlarge"]


def test_vm_moves_to_the_cheapest_fitting_type_of_an_allowed_family() -> None:
    # 3 × m5.2xlarge; 1 core and 2 GiB used per replica → need 1.15 cores / 2.3 GiB per replica.
    config = make_vm_config(
        instance_type="m5.2xlarge", vcpu_per_replica=8.0, memory_gib_per_replica=32.0
    )
    ctx = make_ctx(config, flat_usage(cpu_p95_cores=3.0, memory_gib=6.0))

    rec = rightsize(ctx)

    assert rec.outcome == "recommend"
    assert rec.proposed is not None
    assert rec.proposed.instance_type == "m6i.large"
    assert rec.proposed.replicas == 3
    assert rec.cost_current is not None
    assert rec.cost_proposed is not None
    assert rec.cost_current.list_usd == pytest.approx(3 * 0.384 * HOURS_PER_MONTH)  # 840.96
    assert rec.cost_proposed.list_usd == pytest.approx(3 * 0.090 * HOURS_PER_MONTH)  # 197.10
    assert rec.monthly_savings_usd == pytest.approx(643.86)
    assert rec.sla is not None
    assert rec.sla.passes
    assert rec.sla.peak_utilization == pytest.approx(0.5)
    assert rec.restart_needed


def test_pod_requests_are_the_profile_target_rounded_up() -> None:
    # 4 pods; 0.2 cores and 0.5 GiB each → 0.23 cores (230m) and 0.575 GiB → 589 MiB.
    ctx = make_ctx(make_k8s_config(zones=1), flat_usage(cpu_p95_cores=0.8, memory_gib=2.0))

    rec = rightsize(ctx)

    assert rec.outcome == "recommend"
    assert rec.proposed is not None
    assert rec.proposed.cpu_request_cores == pytest.approx(0.230)
    assert rec.proposed.memory_request_gib == pytest.approx(589 / 1024)
    per_pod_usd = 0.230 * K8S_USD_PER_CORE_HOUR + 589 / 1024 * K8S_USD_PER_GIB_HOUR
    assert rec.cost_proposed is not None
    assert rec.cost_proposed.list_usd == pytest.approx(4 * per_pod_usd * HOURS_PER_MONTH)
    assert rec.cost_current is not None
    assert rec.cost_current.list_usd == pytest.approx(4 * 0.013 * HOURS_PER_MONTH)  # 37.96


def test_pod_requests_step_up_until_the_sla_saturation_limit_holds() -> None:
    # Standard class: limit 0.75. 230m → 87 % and 253m → 79 % fail; ×1.25 = 287.5 → 288m passes.
    ctx = make_ctx(
        make_k8s_config(zones=1),
        flat_usage(cpu_p95_cores=0.8, memory_gib=2.0),
        policy=policy_for("standard"),
    )

    rec = rightsize(ctx)

    assert rec.proposed is not None
    assert rec.proposed.cpu_request_cores == pytest.approx(0.288)
    why = rec.explanation.why or ""
    assert why.startswith("cheapest of 8 candidates")
    assert "2 cheaper candidates fail it" in why


def test_a_cut_that_fails_the_sla_is_not_recommended() -> None:
    # One hour at 1 core per pod: every candidate up to 3 × 230m saturates; 4 × 2000m does not.
    cpu = np.full(14 * 24, 0.8)
    cpu[100] = 4.0
    config = make_k8s_config(zones=1, cpu_request_cores=2.0, vcpu_per_replica=2.0)
    ctx = make_ctx(config, flat_usage(cpu_p95_cores=cpu, memory_gib=2.0))

    rec = rightsize(ctx)

    assert rec.outcome == "already_optimal"
    assert rec.reason.startswith("no candidate of 8 keeps the SLA")
    assert rec.proposed is None


def test_a_config_already_at_the_target_is_already_optimal() -> None:
    config = make_k8s_config(
        zones=1,
        cpu_request_cores=0.23,
        vcpu_per_replica=0.23,
        memory_request_gib=589 / 1024,
        memory_gib_per_replica=589 / 1024,
    )
    ctx = make_ctx(config, flat_usage(cpu_p95_cores=0.8, memory_gib=2.0))

    assert rightsize(ctx).outcome == "already_optimal"


def test_a_small_saving_is_no_change_worth_making() -> None:
    config = make_k8s_config(zones=1, cpu_request_cores=0.25, vcpu_per_replica=0.25)
    ctx = make_ctx(config, flat_usage(cpu_p95_cores=0.8, memory_gib=2.0))

    rec = rightsize(ctx)

    assert rec.outcome == "no_change_worth_making"
    assert "$" in rec.reason


def test_too_little_data_is_a_value_with_the_counts() -> None:
    ctx = make_ctx(make_k8s_config(), flat_usage(41))

    rec = rightsize(ctx)

    assert rec.outcome == "not_enough_data"
    assert rec.reason == "not enough data: 41 of 100 points"


@settings(max_examples=40, deadline=None)
@given(
    used_cores=st.floats(0.05, 3.0),
    request_cores=st.sampled_from([0.25, 0.5, 1.0, 2.0, 4.0]),
    noise=st.floats(0.0, 0.5),
)
def test_recommended_pod_cuts_save_money_and_cover_the_profile_target(
    used_cores: float, request_cores: float, noise: float
) -> None:
    cpu = used_cores * (1.0 + noise * np.sin(np.arange(14 * 24) / 3.0))
    config = make_k8s_config(
        zones=1, replicas=1, cpu_request_cores=request_cores, vcpu_per_replica=request_cores
    )
    ctx = make_ctx(config, flat_usage(cpu_p95_cores=cpu, memory_gib=0.5))

    rec = rightsize(ctx)

    assert 0 <= rec.risk.score <= 4
    if rec.outcome == "recommend" and not rec.explanation.fact("current_fails_sla"):
        assert rec.monthly_savings_usd >= 0
    if rec.proposed is not None:
        target = np.percentile(cpu, 90) * 1.15
        assert rec.proposed.cpu_request_cores is not None
        assert rec.proposed.cpu_request_cores >= max(0.01, target - 1e-9)
        assert rec.proposed.memory_request_gib is not None
        assert rec.proposed.memory_request_gib >= max(100 / 1024, 0.5 * 1.15)


def test_without_memory_samples_pod_memory_is_kept() -> None:
    ctx = make_ctx(make_k8s_config(zones=1), flat_usage(cpu_p95_cores=0.8, memory_gib=float("nan")))

    rec = rightsize(ctx)

    assert rec.proposed is not None
    assert rec.proposed.memory_request_gib == pytest.approx(1.0)
