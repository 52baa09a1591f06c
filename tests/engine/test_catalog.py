"""Tests of pricing catalog: lookups, vectorised prices, the cheapest fitting type, discounts."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.catalog import Catalog, CommitmentDiscounts, InstanceSpec, InstanceTypes
from engine.errors import UnknownInstanceType, UnknownRegion

NAN = float("nan")

# name, vcpu, memory_gib, family, generation, architecture, category, has_gpu
TYPES = (
    ("c6g.large", 2, 4.0, "c6g", 6, "arm64", "Compute optimized", False),
    ("inf1.xlarge", 4, 8.0, "inf1", 1, "x86_64", "Machine Learning ASIC Instances", False),
    ("m5.large", 2, 8.0, "m5", 5, "x86_64", "General purpose", False),
    ("m5.xlarge", 4, 16.0, "m5", 5, "x86_64", "General purpose", False),
    ("m6g.large", 2, 8.0, "m6g", 6, "arm64", "General purpose", False),
    ("p3.2xlarge", 8, 61.0, "p3", 3, "x86_64", "GPU instance", True),
    ("t3.micro", 2, 1.0, "t3", 3, "x86_64", "General purpose", False),
)
NAMES = tuple(row[0] for row in TYPES)

US_EAST_1_USD = {
    "c6g.large": 0.068,
    "inf1.xlarge": 0.05,
    "m5.large": 0.096,
    "m5.xlarge": 0.192,
    "m6g.large": 0.077,
    "p3.2xlarge": 0.01,
    "t3.micro": 0.0104,
}
EU_WEST_1_USD = {"m5.large": 0.107, "m5.xlarge": 0.214}


def make_catalog(prices_usd_per_hour: Mapping[str, Mapping[str, float]] | None = None) -> Catalog:
    """A catalog of TYPES priced per region ({region: {type: USD/hour}}); absent cells are NaN."""
    prices = prices_usd_per_hour or {"eu-west-1": EU_WEST_1_USD, "us-east-1": US_EAST_1_USD}
    regions = tuple(sorted(prices))
    grid = np.array([[prices[region].get(name, NAN) for region in regions] for name in NAMES])
    return Catalog(
        instance_types=make_instance_types(),
        regions=regions,
        on_demand_usd_per_hour_grid=grid,
        k8s_regions=("europe-west1", "us-central1"),
        k8s_cpu_usd_per_core_hour=np.array([0.0239, 0.0218]),
        k8s_memory_usd_per_gib_hour=np.array([0.0032, 0.0029]),
        k8s_series="e2",
        discounts=CommitmentDiscounts(one_year_pct=37.0, three_year_pct=55.0, spot_pct=70.0),
    )


def make_instance_types() -> InstanceTypes:
    name, vcpu, memory_gib, family, generation, architecture, category, has_gpu = zip(
        *TYPES, strict=True
    )
    return InstanceTypes(
        name=np.array(name),
        vcpu=np.array(vcpu, dtype=np.float64),
        memory_gib=np.array(memory_gib),
        family=np.array(family),
        generation=np.array(generation, dtype=np.int64),
        architecture=np.array(architecture),
        category=np.array(category),
        current_generation=np.ones(len(TYPES), dtype=np.bool_),
        has_gpu=np.array(has_gpu),
    )


def test_type_index_returns_the_row_of_each_name_in_the_order_asked() -> None:
    catalog = make_catalog()

    index = catalog.type_index(["t3.micro", "c6g.large", "m5.large"])

    assert index.tolist() == [6, 0, 2]
    assert index.dtype == np.int64


def test_type_index_of_an_unknown_type_raises_naming_every_unknown_type() -> None:
    catalog = make_catalog()

    with pytest.raises(UnknownInstanceType, match=r"m9\.huge, zz\.top"):
        catalog.type_index(["m5.large", "zz.top", "m9.huge"])


def test_type_index_of_a_name_after_the_last_type_raises() -> None:
    catalog = make_catalog()

    with pytest.raises(UnknownInstanceType, match=r"z1d\.large"):
        catalog.type_index(["z1d.large"])


def test_spec_returns_the_row_of_one_type() -> None:
    catalog = make_catalog()

    spec = catalog.spec("m6g.large")

    assert spec == InstanceSpec("m6g.large", 2.0, 8.0, "m6g", 6, "arm64", "General purpose")


def test_a_spec_is_made_once_and_an_unknown_name_raises_every_time() -> None:
    catalog = make_catalog()

    first = catalog.spec("m6g.large")

    assert catalog.spec("m6g.large") is first
    assert catalog.spec("m6g.large") == catalog.instance_types.spec_at(
        int(catalog.type_index(["m6g.large"])[0])
    )
    for _ in range(2):
        with pytest.raises(UnknownInstanceType):
            catalog.spec("z1d.large")


def test_on_demand_prices_are_vectorised_with_nan_where_not_offered() -> None:
    catalog = make_catalog()

    prices = catalog.on_demand_usd_per_hour(["m5.xlarge", "t3.micro", "m5.large"], "eu-west-1")

    np.testing.assert_array_equal(prices, [0.214, NAN, 0.107])


def test_on_demand_price_in_an_unknown_region_raises() -> None:
    catalog = make_catalog()

    with pytest.raises(UnknownRegion, match="mars-north-1"):
        catalog.on_demand_usd_per_hour(["m5.large"], "mars-north-1")


def test_offered_mask_marks_types_with_a_known_price() -> None:
    catalog = make_catalog()

    mask = catalog.offered_mask("eu-west-1")

    assert mask.tolist() == [False, False, True, True, False, False, False]


def test_k8s_prices_are_per_core_hour_and_per_gib_hour() -> None:
    catalog = make_catalog()

    prices = catalog.k8s_usd_per_hour("us-central1")

    assert prices == (0.0218, 0.0029)


def test_k8s_prices_in_an_unknown_region_raise() -> None:
    catalog = make_catalog()

    with pytest.raises(UnknownRegion, match="us-east-1"):
        catalog.k8s_usd_per_hour("us-east-1")


def test_catalog_arrays_are_read_only() -> None:
    catalog = make_catalog()

    with pytest.raises(ValueError, match="read-only"):
        catalog.on_demand_usd_per_hour_grid[0, 0] = 0.0


def test_catalog_rejects_a_grid_that_does_not_match_types_and_regions() -> None:
    catalog = make_catalog()

    with pytest.raises(ValueError, match="shape"):
        Catalog(
            instance_types=catalog.instance_types,
            regions=("us-east-1",),
            on_demand_usd_per_hour_grid=np.zeros((len(NAMES), 2)),
            k8s_regions=(),
            k8s_cpu_usd_per_core_hour=np.array([]),
            k8s_memory_usd_per_gib_hour=np.array([]),
            k8s_series="e2",
            discounts=catalog.discounts,
        )


def test_instance_types_reject_unsorted_names() -> None:
    types = make_instance_types()

    with pytest.raises(ValueError, match="sorted"):
        InstanceTypes(
            name=types.name[::-1],
            vcpu=types.vcpu,
            memory_gib=types.memory_gib,
            family=types.family,
            generation=types.generation,
            architecture=types.architecture,
            category=types.category,
            current_generation=types.current_generation,
            has_gpu=types.has_gpu,
        )


def test_cheapest_fitting_picks_the_cheapest_type_with_enough_cpu_and_memory() -> None:
    catalog = make_catalog()

    spec = catalog.cheapest_fitting("us-east-1", min_vcpu=2, min_memory_gib=6.0)

    assert spec is not None
    assert spec.name == "m6g.large"


def test_cheapest_fitting_never_picks_gpu_or_accelerated_types() -> None:
    catalog = make_catalog()

    spec = catalog.cheapest_fitting("us-east-1", min_vcpu=4, min_memory_gib=8.0)

    assert spec is not None
    assert spec.name == "m5.xlarge"


def test_cheapest_fitting_skips_types_not_offered_in_the_region() -> None:
    catalog = make_catalog()

    spec = catalog.cheapest_fitting("eu-west-1", min_vcpu=1, min_memory_gib=1.0)

    assert spec is not None
    assert spec.name == "m5.large"


def test_cheapest_fitting_respects_the_architecture_filter() -> None:
    catalog = make_catalog()

    spec = catalog.cheapest_fitting(
        "us-east-1", min_vcpu=2, min_memory_gib=6.0, architecture="x86_64"
    )

    assert spec is not None
    assert spec.name == "m5.large"


def test_cheapest_fitting_respects_the_family_filter() -> None:
    catalog = make_catalog()

    spec = catalog.cheapest_fitting(
        "us-east-1", min_vcpu=1, min_memory_gib=1.0, families={"m5", "c6g"}
    )

    assert spec is not None
    assert spec.name == "c6g.large"


def test_cheapest_fitting_returns_none_when_nothing_fits() -> None:
    catalog = make_catalog()

    spec = catalog.cheapest_fitting("us-east-1", min_vcpu=64, min_memory_gib=1.0)

    assert spec is None


def test_cheapest_fitting_breaks_a_price_tie_by_name() -> None:
    catalog = make_catalog({"us-east-1": {"m6g.large": 0.05, "m5.large": 0.05}})

    spec = catalog.cheapest_fitting("us-east-1", min_vcpu=2, min_memory_gib=8.0)

    assert spec is not None
    assert spec.name == "m5.large"


def test_cheapest_fitting_rejects_an_unknown_architecture() -> None:
    catalog = make_catalog()

    with pytest.raises(ValueError, match="architecture"):
        catalog.cheapest_fitting(
            "us-east-1", min_vcpu=1, min_memory_gib=1.0, architecture="aarch64"
        )


def test_commitment_discounts_accept_values_from_zero_to_below_one_hundred() -> None:
    discounts = CommitmentDiscounts(one_year_pct=0.0, three_year_pct=55.0, spot_pct=99.9)

    assert discounts.spot_pct == 99.9


@pytest.mark.parametrize(
    "values",
    [(-1.0, 55.0, 70.0), (37.0, 100.0, 70.0), (37.0, 55.0, 150.0), (NAN, 55.0, 70.0)],
)
def test_commitment_discounts_outside_zero_to_one_hundred_are_rejected(
    values: tuple[float, float, float],
) -> None:
    one_year_pct, three_year_pct, spot_pct = values

    with pytest.raises(ValueError, match="must be in"):
        CommitmentDiscounts(one_year_pct, three_year_pct, spot_pct)


prices_usd = st.floats(min_value=0.001, max_value=50.0) | st.just(NAN)


@given(
    prices=st.lists(prices_usd, min_size=len(NAMES), max_size=len(NAMES)),
    min_vcpu=st.floats(min_value=0.0, max_value=10.0),
    min_memory_gib=st.floats(min_value=0.0, max_value=70.0),
    architecture=st.sampled_from([None, "x86_64", "arm64"]),
)
def test_cheapest_fitting_fits_and_no_cheaper_fitting_type_is_offered(
    prices: list[float], min_vcpu: float, min_memory_gib: float, architecture: str | None
) -> None:
    catalog = make_catalog({"us-east-1": dict(zip(NAMES, prices, strict=True))})
    eligible = [
        (price, row[0])
        for row, price in zip(TYPES, prices, strict=True)
        if not np.isnan(price)
        and not row[7]
        and row[6] in ("General purpose", "Compute optimized")
        and row[1] >= min_vcpu
        and row[2] >= min_memory_gib
        and architecture in (None, row[5])
    ]

    spec = catalog.cheapest_fitting(
        "us-east-1", min_vcpu=min_vcpu, min_memory_gib=min_memory_gib, architecture=architecture
    )

    if spec is None:
        assert eligible == []
    else:
        assert spec.vcpu >= min_vcpu
        assert spec.memory_gib >= min_memory_gib
        assert (catalog.on_demand_usd_per_hour([spec.name], "us-east-1")[0], spec.name) == min(
            eligible
        )
