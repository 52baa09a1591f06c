"""Tests of the basic cost model: VM and pod prices, pricing mix, schedules, unknown prices."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.catalog import Catalog, CommitmentDiscounts, InstanceTypes
from engine.cost import (
    ConfigCost,
    config_cost,
    instance_hourly_usd,
    running_mask,
    scheduled_fraction,
)
from engine.errors import UnknownInstanceType, UnknownRegion
from tests.factories import make_k8s_config, make_vm_config

NAN = float("nan")
# name: (vcpu, memory_gib, family, generation, architecture, us-east-1 USD/h, eu-west-1 USD/h)
TYPES = {
    "m5.large": (2.0, 8.0, "m5", 5, "x86_64", 0.096, 0.107),
    "m5.xlarge": (4.0, 16.0, "m5", 5, "x86_64", 0.192, 0.214),
    "m6g.large": (2.0, 8.0, "m6g", 6, "arm64", 0.077, NAN),
}
K8S_CPU_USD_PER_CORE_HOUR = 0.0218
K8S_MEMORY_USD_PER_GIB_HOUR = 0.0029


def make_catalog(
    one_year_pct: float = 37.0, three_year_pct: float = 55.0, spot_pct: float = 70.0
) -> Catalog:
    names = sorted(TYPES)
    column = {key: np.array([TYPES[name][i] for name in names]) for i, key in enumerate(
        ("vcpu", "memory_gib", "family", "generation", "architecture", "us", "eu")
    )}  # fmt: skip
    types = InstanceTypes(
        name=np.array(names),
        vcpu=column["vcpu"].astype(np.float64),
        memory_gib=column["memory_gib"].astype(np.float64),
        family=column["family"],
        generation=column["generation"].astype(np.int64),
        architecture=column["architecture"],
        category=np.array(["General purpose"] * len(names)),
        current_generation=np.ones(len(names), dtype=np.bool_),
        has_gpu=np.zeros(len(names), dtype=np.bool_),
    )
    return Catalog(
        instance_types=types,
        regions=("eu-west-1", "us-east-1"),
        on_demand_usd_per_hour_grid=np.column_stack([column["eu"], column["us"]]).astype(float),
        k8s_regions=("us-central1",),
        k8s_cpu_usd_per_core_hour=np.array([K8S_CPU_USD_PER_CORE_HOUR]),
        k8s_memory_usd_per_gib_hour=np.array([K8S_MEMORY_USD_PER_GIB_HOUR]),
        k8s_series="e2",
        discounts=CommitmentDiscounts(one_year_pct, three_year_pct, spot_pct),
    )


def test_vm_list_cost_is_the_on_demand_price_times_replicas() -> None:
    config = make_vm_config(instance_type="m5.large", replicas=3)

    cost = config_cost(config, region="us-east-1", catalog=make_catalog())

    assert cost.list_usd_per_hour == pytest.approx(3 * 0.096)
    assert cost.effective_usd_per_hour == cost.list_usd_per_hour
    assert cost.monthly_list_usd == pytest.approx(3 * 0.096 * 730)


def test_effective_cost_weights_commitment_and_spot_shares_by_their_discounts() -> None:
    config = make_vm_config(replicas=3, commitment_coverage_pct=40.0, spot_pct=30.0)

    cost = config_cost(config, region="us-east-1", catalog=make_catalog())

    # 30 % on demand + 40 % at (1 − 0.37) + 30 % at (1 − 0.70)
    assert cost.effective_usd_per_hour == pytest.approx(3 * 0.096 * (0.3 + 0.4 * 0.63 + 0.3 * 0.3))
    assert cost.monthly_effective_usd == pytest.approx(cost.effective_usd_per_hour * 730)


def test_kubernetes_cost_prices_cpu_and_memory_requests_per_replica() -> None:
    config = make_k8s_config(replicas=4, cpu_request_cores=0.5, memory_request_gib=2.0)

    cost = config_cost(config, region="us-central1", catalog=make_catalog())

    per_replica_usd = 0.5 * K8S_CPU_USD_PER_CORE_HOUR + 2.0 * K8S_MEMORY_USD_PER_GIB_HOUR
    assert cost.list_usd_per_hour == pytest.approx(4 * per_replica_usd)


def test_weekday_on_hours_run_65_of_168_hours() -> None:
    assert scheduled_fraction("weekdays 07-20") == 65 / 168
    assert scheduled_fraction("always") == 1.0


def test_an_on_hours_schedule_scales_cost_by_its_share_of_the_week() -> None:
    always = make_vm_config(replicas=2)
    on_hours = replace(always, schedule="weekdays 07-20")
    catalog = make_catalog()

    scheduled = config_cost(on_hours, region="us-east-1", catalog=catalog)

    full = config_cost(always, region="us-east-1", catalog=catalog)
    assert scheduled.list_usd_per_hour == pytest.approx(full.list_usd_per_hour * 65 / 168)


@pytest.mark.parametrize(
    "schedule",
    ["", "always on", "weekdays 7-20", "weekdays 07-20 ", "weekends 07-20", "weekdays 20-07",
     "weekdays 07-07", "weekdays 07-25", "Weekdays 07-20"],
)  # fmt: skip
def test_a_malformed_schedule_is_rejected(schedule: str) -> None:
    with pytest.raises(ValueError, match="schedule"):
        scheduled_fraction(schedule)


def test_running_mask_marks_weekday_hours_in_the_window() -> None:
    monday = np.datetime64("2026-11-02T00:00:00", "s")  # a Monday
    week = monday + np.arange(168) * np.timedelta64(3600, "s")

    mask = running_mask("weekdays 07-20", week)

    assert mask.sum() == 65
    assert mask[[6, 7, 19, 20]].tolist() == [False, True, True, False]  # Monday 06-20 h
    assert not mask[5 * 24 + 12]  # Saturday noon


def test_running_mask_of_always_is_all_true() -> None:
    hours = np.datetime64("2026-11-01T00:00:00", "s") + np.arange(5) * np.timedelta64(3600, "s")

    assert running_mask("always", hours).all()


def test_unknown_instance_type_raises() -> None:
    config = make_vm_config(instance_type="zz.top")

    with pytest.raises(UnknownInstanceType, match=r"zz\.top"):
        config_cost(config, region="us-east-1", catalog=make_catalog())


def test_unknown_region_raises() -> None:
    with pytest.raises(UnknownRegion, match="mars-north-1"):
        config_cost(make_vm_config(), region="mars-north-1", catalog=make_catalog())


def test_kubernetes_in_a_region_without_pod_prices_raises() -> None:
    with pytest.raises(UnknownRegion, match="us-east-1"):
        config_cost(make_k8s_config(), region="us-east-1", catalog=make_catalog())


def test_a_type_not_offered_in_the_region_raises_naming_type_and_region() -> None:
    config = make_vm_config(instance_type="m6g.large")

    with pytest.raises(UnknownInstanceType, match=r"m6g\.large in region eu-west-1"):
        config_cost(config, region="eu-west-1", catalog=make_catalog())


def test_instance_hourly_usd_is_vectorised() -> None:
    prices = instance_hourly_usd(np.array(["m5.xlarge", "m5.large"]), "eu-west-1", make_catalog())

    np.testing.assert_array_equal(prices, [0.214, 0.107])


percent = st.floats(min_value=0.0, max_value=99.0)


half = st.floats(min_value=0.0, max_value=50.0)  # two halves never sum past 100 %


@given(
    commitment_pct=half,
    spot_share_pct=half,
    one_year_discount_pct=percent,
    spot_discount_pct=percent,
    replicas=st.integers(min_value=0, max_value=50),
)
def test_effective_never_exceeds_list_when_discounts_are_non_negative(
    commitment_pct: float,
    spot_share_pct: float,
    one_year_discount_pct: float,
    spot_discount_pct: float,
    replicas: int,
) -> None:
    config = make_vm_config(
        replicas=replicas, commitment_coverage_pct=commitment_pct, spot_pct=spot_share_pct
    )
    catalog = make_catalog(one_year_pct=one_year_discount_pct, spot_pct=spot_discount_pct)

    cost = config_cost(config, region="us-east-1", catalog=catalog)

    assert 0.0 <= cost.effective_usd_per_hour <= cost.list_usd_per_hour


@given(
    replicas=st.integers(min_value=1, max_value=200),
    commitment_pct=st.floats(min_value=0.0, max_value=60.0),
    kubernetes=st.booleans(),
)
def test_cost_is_linear_in_replicas(replicas: int, commitment_pct: float, kubernetes: bool) -> None:
    base = make_k8s_config() if kubernetes else make_vm_config()
    one = replace(base, replicas=1, commitment_coverage_pct=commitment_pct)
    region = "us-central1" if kubernetes else "us-east-1"
    catalog = make_catalog()

    many = config_cost(replace(one, replicas=replicas), region=region, catalog=catalog)

    single = config_cost(one, region=region, catalog=catalog)
    assert many.list_usd_per_hour == pytest.approx(replicas * single.list_usd_per_hour)
    assert many.effective_usd_per_hour == pytest.approx(replicas * single.effective_usd_per_hour)


def test_monthly_figures_use_730_hours() -> None:
    cost = ConfigCost(list_usd_per_hour=1.0, effective_usd_per_hour=0.5)

    assert (cost.monthly_list_usd, cost.monthly_effective_usd) == (730.0, 365.0)
