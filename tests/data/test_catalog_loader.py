"""Tests of the catalog loader against the shipped pricing files."""

from __future__ import annotations

import csv
import shutil
import statistics
from pathlib import Path

import numpy as np
import pytest

from data.catalog import load_catalog
from data.catalog.loader import (
    DEFAULT_DISCOUNTS,
    FILES_DIRECTORY,
    GCP_FILE,
    PRICES_FILE,
    TYPES_FILE,
)
from data.errors import CatalogError
from engine.catalog import Catalog, InstanceSpec
from engine.errors import UnknownInstanceType


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def gcp_discounts_pct(pricing: str, resource: str) -> list[float]:
    """Percent off on-demand of every (series, region) the GCP file prices both ways."""
    with (FILES_DIRECTORY / GCP_FILE).open(newline="") as file:
        rows = list(csv.DictReader(file))
    usd = {
        (r["series"], r["region"], r["pricing"]): float(r["usd_per_unit_hour"])
        for r in rows
        if r["resource"] == resource
    }
    return [
        100.0 * (1.0 - price / usd[(series, region, "on_demand")])
        for (series, region, kind), price in usd.items()
        if kind == pricing and (series, region, "on_demand") in usd
    ]


def copy_files_dropping_column(directory: Path, file_name: str, column: str) -> None:
    """Copy the shipped files into `directory`, then remove one column from one of them."""
    shutil.copytree(FILES_DIRECTORY, directory)
    path = directory / file_name
    path.chmod(0o644)
    with path.open(newline="") as file:
        rows = list(csv.DictReader(file))
    kept = [name for name in rows[0] if name != column]
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=kept, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def test_m5_large_spec_is_read_from_the_types_file(catalog: Catalog) -> None:
    spec = catalog.spec("m5.large")

    assert spec == InstanceSpec("m5.large", 2.0, 8.0, "m5", 5, "x86_64", "General purpose")


def test_m5_large_us_east_1_price_equals_the_file(catalog: Catalog) -> None:
    price_usd = catalog.on_demand_usd_per_hour(["m5.large"], "us-east-1")

    assert price_usd.tolist() == [0.096]


def test_graviton_types_are_arm64(catalog: Catalog) -> None:
    spec = catalog.spec("m6g.large")

    assert spec.architecture == "arm64"


@pytest.mark.parametrize(
    ("name", "family", "generation"),
    [
        ("m5d.large", "m5d", 5),
        ("c7gn.large", "c7gn", 7),
        ("t3a.nano", "t3a", 3),
        ("p4de.24xlarge", "p4de", 4),
        ("u-6tb1.112xlarge", "u-6tb1", 1),
        ("u7i-12tb.224xlarge", "u7i-12tb", 7),
        ("im4gn.large", "im4gn", 4),
        ("hpc7a.12xlarge", "hpc7a", 7),
    ],
)
def test_family_and_generation_are_parsed_from_the_name(
    catalog: Catalog, name: str, family: str, generation: int
) -> None:
    spec = catalog.spec(name)

    assert (spec.family, spec.generation) == (family, generation)


def test_gpu_types_are_flagged(catalog: Catalog) -> None:
    index = catalog.type_index(["p3.2xlarge", "m5.large"])

    assert catalog.instance_types.has_gpu[index].tolist() == [True, False]


def test_every_known_ec2_price_is_positive(catalog: Catalog) -> None:
    grid = catalog.on_demand_usd_per_hour_grid

    known = grid[~np.isnan(grid)]

    assert len(known) > 10_000
    assert np.all(known > 0)


def test_price_rows_for_types_without_specs_are_dropped(catalog: Catalog) -> None:
    with pytest.raises(UnknownInstanceType, match=r"m5\.metal"):
        catalog.type_index(["m5.metal"])


def test_e2_us_central1_k8s_prices_equal_the_file(catalog: Catalog) -> None:
    prices = catalog.k8s_usd_per_hour("us-central1")

    assert prices == (0.02181159, 0.00292353)


def test_an_unknown_k8s_series_raises_catalog_error() -> None:
    with pytest.raises(CatalogError, match="z9"):
        load_catalog(k8s_series="z9")


def test_a_missing_column_raises_catalog_error_naming_file_and_column(tmp_path: Path) -> None:
    copy_files_dropping_column(tmp_path / "files", TYPES_FILE, "memory_gib")

    with pytest.raises(CatalogError, match=rf"{TYPES_FILE}: missing column\(s\) memory_gib"):
        load_catalog(tmp_path / "files")


def test_a_zero_price_raises_catalog_error_because_nothing_is_free(tmp_path: Path) -> None:
    shutil.copytree(FILES_DIRECTORY, tmp_path / "files")
    prices = tmp_path / "files" / PRICES_FILE
    prices.chmod(0o644)
    with prices.open("a", newline="") as file:
        file.write("m5.large,xx-test-1,0.0\n")

    with pytest.raises(CatalogError, match=rf"{PRICES_FILE}: column usd_per_hour must be positive"):
        load_catalog(tmp_path / "files")


def test_a_missing_file_raises_catalog_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=TYPES_FILE):
        load_catalog(tmp_path)


def test_default_one_year_discount_is_within_ten_points_of_the_gcp_median() -> None:
    median_pct = statistics.median(gcp_discounts_pct("1yr_commitment", "cpu"))

    assert abs(DEFAULT_DISCOUNTS.one_year_pct - median_pct) <= 10.0


def test_default_three_year_discount_is_within_ten_points_of_the_gcp_median() -> None:
    median_pct = statistics.median(gcp_discounts_pct("3yr_commitment", "cpu"))

    assert abs(DEFAULT_DISCOUNTS.three_year_pct - median_pct) <= 10.0


def test_default_spot_discount_is_within_ten_points_of_the_gcp_preemptible_median() -> None:
    median_pct = statistics.median(gcp_discounts_pct("preemptible", "cpu"))

    assert abs(DEFAULT_DISCOUNTS.spot_pct - median_pct) <= 10.0
