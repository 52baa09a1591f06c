"""Read the shipped pricing files (EC2 types and prices, GCP unit prices) into an engine Catalog."""

from __future__ import annotations

import csv
import logging
import re
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from data.errors import CatalogError
from engine.catalog import Catalog, CommitmentDiscounts, InstanceTypes

log = logging.getLogger(__name__)

FILES_DIRECTORY = Path(__file__).with_name("files")
TYPES_FILE = "aws_ec2_instance_types.csv"
PRICES_FILE = "aws_ec2_linux_on_demand.csv"
GCP_FILE = "gcp_resource_prices.csv"

_TYPE_COLUMNS = (
    "instance_type",
    "vcpu",
    "memory_gib",
    "category",
    "physical_processor",
    "current_generation",
    "gpu",
)
_PRICE_COLUMNS = ("instance_type", "region", "usd_per_hour")
_GCP_COLUMNS = ("series", "resource", "pricing", "region", "usd_per_unit_hour")

# The files hold no AWS Reserved Instance or Savings Plan rates, so commitment discounts are
# assumptions. They are anchored on the GCP prices shipped beside them: the c2 committed-use rows
# are ~37 % below on-demand for 1 year and ~55-60 % for 3 years, and preemptible rows ~70-80 %.
# Where the file shows a range we take its low end, so that projected savings are not oversold.
DEFAULT_DISCOUNTS = CommitmentDiscounts(one_year_pct=37.0, three_year_pct=55.0, spot_pct=70.0)

# Generation is the number after the series letters: m5d -> 5, c7gn -> 7, u7i-12tb -> 7,
# mac2-m2pro -> 2; the older high-memory names carry it after the size: u-6tb1 -> 1.
_GENERATION = re.compile(r"^(?:u-\d+tb|[a-z]+)(\d+)")

Table = dict[str, list[str]]


def load_catalog(
    directory: Path | None = None,
    *,
    k8s_series: str = "e2",
    discounts: CommitmentDiscounts = DEFAULT_DISCOUNTS,
) -> Catalog:
    """Build a Catalog from `directory` (the shipped `files/` by default); caches nothing."""
    directory = FILES_DIRECTORY if directory is None else directory
    types = _instance_types(_read(directory / TYPES_FILE, _TYPE_COLUMNS))
    regions, grid = _on_demand_grid(_read(directory / PRICES_FILE, _PRICE_COLUMNS), types.name)
    k8s_regions, cpu_usd, memory_usd = _k8s_prices(
        _read(directory / GCP_FILE, _GCP_COLUMNS), k8s_series
    )
    return Catalog(
        instance_types=types,
        regions=regions,
        on_demand_usd_per_hour_grid=grid,
        k8s_regions=k8s_regions,
        k8s_cpu_usd_per_core_hour=cpu_usd,
        k8s_memory_usd_per_gib_hour=memory_usd,
        k8s_series=k8s_series,
        discounts=discounts,
    )


def _read(path: Path, columns: tuple[str, ...]) -> Table:
    """The named columns of a CSV file; CatalogError if the file or a column is missing."""
    try:
        with path.open(newline="", encoding="utf-8") as file:
            reader = csv.reader(file)
            header = next(reader, [])
            rows = [row for row in reader if row]
    except OSError as error:
        raise CatalogError(f"cannot read catalog file {path}: {error.strerror}") from error
    missing = [column for column in columns if column not in header]
    if missing:
        raise CatalogError(f"{path.name}: missing column(s) {', '.join(missing)}")
    if any(len(row) != len(header) for row in rows):
        raise CatalogError(f"{path.name}: every row must have {len(header)} fields")
    positions = {column: header.index(column) for column in columns}
    return {column: [row[position] for row in rows] for column, position in positions.items()}


def _floats(table: Table, column: str, file: str) -> NDArray[np.float64]:
    """A numeric column; CatalogError naming file and column if a value is not a positive number."""
    try:
        values = np.array(table[column], dtype=np.float64)
    except ValueError as error:
        raise CatalogError(f"{file}: column {column} has a non-numeric value ({error})") from error
    if not np.all(values > 0):
        raise CatalogError(
            f"{file}: column {column} must be positive (a missing row means no price, never free)"
        )
    return values


def _instance_types(table: Table) -> InstanceTypes:
    names = np.array(table["instance_type"], dtype=np.str_)
    if len(np.unique(names)) != len(names):
        raise CatalogError(f"{TYPES_FILE}: column instance_type has duplicate names")
    order = np.argsort(names, kind="stable")
    families = [name.split(".", 1)[0] for name in table["instance_type"]]
    processors = np.char.lower(np.array(table["physical_processor"], dtype=np.str_))
    return InstanceTypes(
        name=names[order],
        vcpu=_floats(table, "vcpu", TYPES_FILE)[order],
        memory_gib=_floats(table, "memory_gib", TYPES_FILE)[order],
        family=np.array(families, dtype=np.str_)[order],
        generation=np.array([_generation(family) for family in families], dtype=np.int64)[order],
        architecture=np.where(np.char.find(processors, "graviton") >= 0, "arm64", "x86_64")[order],
        category=np.array(table["category"], dtype=np.str_)[order],
        current_generation=_yes_no(table["current_generation"])[order],
        has_gpu=np.array([gpus.strip() not in ("", "0") for gpus in table["gpu"]], dtype=np.bool_)[
            order
        ],
    )


def _generation(family: str) -> int:
    """The generation digit(s) in a family name, 0 when the name carries none."""
    match = _GENERATION.match(family)
    return int(match.group(1)) if match else 0


def _yes_no(values: list[str]) -> NDArray[np.bool_]:
    flags = np.array(values, dtype=np.str_)
    if not np.all(np.isin(flags, ("Yes", "No"))):
        raise CatalogError(f"{TYPES_FILE}: column current_generation must be Yes or No")
    current: NDArray[np.bool_] = flags == "Yes"
    return current


def _on_demand_grid(
    table: Table, type_names: NDArray[np.str_]
) -> tuple[tuple[str, ...], NDArray[np.float64]]:
    """Prices as a (type, region) grid, NaN where the file has no row.

    Rows for types the types file does not describe (bare family names such as `c5`, most
    `.metal` sizes, `mac*`) are dropped: without vCPU and memory they cannot be recommended.
    """
    names = np.array(table["instance_type"], dtype=np.str_)
    prices = _floats(table, "usd_per_hour", PRICES_FILE)
    rows = np.minimum(np.searchsorted(type_names, names), len(type_names) - 1)
    known = type_names[rows] == names
    if not np.all(known):
        log.debug(
            "dropped %d price rows for %d types without specs",
            (~known).sum(),
            len(np.unique(names[~known])),
        )
    region_names, columns = np.unique(
        np.array(table["region"], dtype=np.str_)[known], return_inverse=True
    )
    grid = np.full((len(type_names), len(region_names)), np.nan)
    grid[rows[known], columns] = prices[known]
    if np.count_nonzero(~np.isnan(grid)) != np.count_nonzero(known):
        raise CatalogError(
            f"{PRICES_FILE}: more than one price for an (instance_type, region) pair"
        )
    return tuple(region_names.tolist()), grid


def _k8s_prices(
    table: Table, series: str
) -> tuple[tuple[str, ...], NDArray[np.float64], NDArray[np.float64]]:
    """On-demand per-core and per-GiB hourly prices of a GCP series, in regions that price both."""
    prices = _floats(table, "usd_per_unit_hour", GCP_FILE)
    by_resource: dict[str, dict[str, float]] = {"cpu": {}, "ram": {}}
    for index, (row_series, resource, pricing, region) in enumerate(
        zip(table["series"], table["resource"], table["pricing"], table["region"], strict=True)
    ):
        if row_series == series and pricing == "on_demand" and resource in by_resource:
            by_resource[resource][region] = float(prices[index])
    regions = tuple(sorted(by_resource["cpu"].keys() & by_resource["ram"].keys()))
    if not regions:
        raise CatalogError(f"{GCP_FILE}: no on-demand cpu and ram prices for series {series!r}")
    cpu_usd = np.array([by_resource["cpu"][region] for region in regions])
    memory_usd = np.array([by_resource["ram"][region] for region in regions])
    return regions, cpu_usd, memory_usd
