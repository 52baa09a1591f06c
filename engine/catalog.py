"""The pricing catalog: instance types, on-demand prices by region, Kubernetes prices, discounts."""

from __future__ import annotations

import bisect
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.errors import UnknownInstanceType, UnknownRegion

ARCHITECTURES = ("x86_64", "arm64")
# Accelerated types carry a gpu count only for GPUs; Inferentia, Trainium, FPGA and video
# transcoding types have none, yet are just as wrong a home for a general workload.
ACCELERATED_CATEGORIES = (
    "GPU instance",
    "FPGA Instances",
    "Machine Learning ASIC Instances",
    "Media Accelerator Instances",
)

Names = Sequence[str] | NDArray[np.str_]


@dataclass(frozen=True, slots=True)
class InstanceSpec:
    """One instance type's shape: what a workload can count on when placed on it."""

    name: str
    vcpu: float
    memory_gib: float
    family: str
    generation: int
    architecture: str
    category: str


@dataclass(frozen=True, slots=True)
class InstanceTypes:
    """Every instance type as parallel arrays, sorted by name ascending so lookups can bisect."""

    name: NDArray[np.str_]
    vcpu: NDArray[np.float64]
    memory_gib: NDArray[np.float64]
    family: NDArray[np.str_]
    generation: NDArray[np.int64]
    architecture: NDArray[np.str_]
    category: NDArray[np.str_]
    current_generation: NDArray[np.bool_]
    has_gpu: NDArray[np.bool_]
    # Derived once (rules filter the 800+ types per service): no GPU and not accelerated, and
    # each type's family as an index into the sorted `families`, so a family set is a lookup.
    general: NDArray[np.bool_] = field(init=False)
    families: NDArray[np.str_] = field(init=False)
    family_code: NDArray[np.intp] = field(init=False)
    family_generation: NDArray[np.int64] = field(init=False)  # per `families` entry (newest)
    row_of: Mapping[str, int] = field(init=False)  # name → row: pricing one config is a lookup

    def __post_init__(self) -> None:
        """Reject unaligned columns, unsorted or duplicate names, and unknown architectures."""
        lengths = {getattr(self, f.name).shape for f in fields(self) if f.init}
        if len(lengths) != 1 or len(self.name) == 0:
            raise ValueError(
                f"instance type columns must be non-empty and aligned, got shapes {lengths}"
            )
        if not np.all(self.name[1:] > self.name[:-1]):
            raise ValueError("instance type names must be unique and sorted ascending")
        if not np.all(np.isin(self.architecture, ARCHITECTURES)):
            raise ValueError(f"architecture must be one of {ARCHITECTURES}")
        general = ~self.has_gpu & ~np.isin(self.category, ACCELERATED_CATEGORIES)
        families, code = np.unique(self.family, return_inverse=True)
        object.__setattr__(self, "general", general)
        object.__setattr__(self, "families", families)
        object.__setattr__(self, "family_code", code.astype(np.intp))
        newest = np.zeros(len(families), dtype=np.int64)
        np.maximum.at(newest, code, self.generation)
        object.__setattr__(self, "family_generation", newest)
        rows = MappingProxyType({name: row for row, name in enumerate(self.name.tolist())})
        object.__setattr__(self, "row_of", rows)
        for f in fields(self):
            if isinstance(value := getattr(self, f.name), np.ndarray):
                _lock(value)

    def __reduce__(self) -> tuple[type[InstanceTypes], tuple[object, ...]]:
        """Pickled by its columns (the pool's workers price with it): the derived fields,
        among them a read-only mapping that cannot pickle, are rebuilt on arrival."""
        return (type(self), tuple(getattr(self, f.name) for f in fields(self) if f.init))

    def family_mask(self, families: Collection[str]) -> NDArray[np.bool_]:
        """True for each type whose family is in `families` (unknown names match nothing)."""
        wanted = np.zeros(len(self.families) + 1, dtype=np.bool_)
        names = np.asarray(sorted(families), dtype=np.str_)
        at = np.searchsorted(self.families, names)
        known = at < len(self.families)
        known[known] = self.families[at[known]] == names[known]
        wanted[at[known]] = True
        mask: NDArray[np.bool_] = wanted[self.family_code]
        return mask

    def __len__(self) -> int:
        return len(self.name)

    def spec_at(self, index: int) -> InstanceSpec:
        """The spec of the type at a row index."""
        return InstanceSpec(
            name=str(self.name[index]),
            vcpu=float(self.vcpu[index]),
            memory_gib=float(self.memory_gib[index]),
            family=str(self.family[index]),
            generation=int(self.generation[index]),
            architecture=str(self.architecture[index]),
            category=str(self.category[index]),
        )


@dataclass(frozen=True, slots=True)
class CommitmentDiscounts:
    """Discounts off on-demand, in percent (37.0 means pay 63 %); each must be in [0, 100)."""

    one_year_pct: float
    three_year_pct: float
    spot_pct: float

    def __post_init__(self) -> None:
        """A discount of 100 % or more would make capacity free; below 0 it is a surcharge."""
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= value < 100.0:
                raise ValueError(f"{f.name} must be in [0, 100), got {value}")


@dataclass(frozen=True, slots=True)
class Catalog:
    """Prices known for every instance type and region; NaN means no price is known, never free.

    `on_demand_usd_per_hour_grid` has one row per instance type (same order as `instance_types`)
    and one column per EC2 region (same order as `regions`):

                    eu-west-1  us-east-1
        m5.large    0.107      0.096
        p5e.48xl    NaN        NaN      <- no price known: not offered
    """

    instance_types: InstanceTypes
    regions: tuple[str, ...]
    on_demand_usd_per_hour_grid: NDArray[np.float64]
    k8s_regions: tuple[str, ...]
    k8s_cpu_usd_per_core_hour: NDArray[np.float64]
    k8s_memory_usd_per_gib_hour: NDArray[np.float64]
    k8s_series: str
    discounts: CommitmentDiscounts
    # Answers derived from the (immutable) prices, kept by the rules that ask them for every
    # service — say, the price-ordered types of a family set in a region. Never part of equality.
    memo: dict[Hashable, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Reject unsorted region lists and price arrays that do not line up with them."""
        object.__setattr__(self, "memo", {})
        _require_sorted_unique(self.regions, "regions")
        _require_sorted_unique(self.k8s_regions, "k8s_regions")
        grid_shape = (len(self.instance_types), len(self.regions))
        if self.on_demand_usd_per_hour_grid.shape != grid_shape:
            raise ValueError(f"on-demand grid must have shape {grid_shape}")
        k8s_shape = (len(self.k8s_regions),)
        if (
            self.k8s_cpu_usd_per_core_hour.shape != k8s_shape
            or self.k8s_memory_usd_per_gib_hour.shape != k8s_shape
        ):
            raise ValueError(f"Kubernetes price arrays must have shape {k8s_shape}")
        for prices in (
            self.on_demand_usd_per_hour_grid,
            self.k8s_cpu_usd_per_core_hour,
            self.k8s_memory_usd_per_gib_hour,
        ):
            _lock(prices)

    def type_index(self, names: Names) -> NDArray[np.int64]:
        """Row index of each name, shaped like `names`; UnknownInstanceType lists any not found."""
        wanted = np.asarray(names, dtype=np.str_)
        if wanted.shape == (1,) and (row := self.instance_types.row_of.get(wanted[0])) is not None:
            return np.array([row], dtype=np.int64)  # one config's type: the usual call
        known = self.instance_types.name
        index = np.minimum(np.searchsorted(known, wanted), len(known) - 1)
        found = known[index] == wanted
        if not np.all(found):
            unknown = ", ".join(sorted(set(np.atleast_1d(wanted[~found]).tolist())))
            raise UnknownInstanceType(f"not in the pricing catalog: {unknown}")
        return index.astype(np.int64)

    def spec(self, name: str) -> InstanceSpec:
        """The spec of one instance type; UnknownInstanceType if it is not in the catalog.
        Kept in `memo` once made (an immutable value of immutable columns): the VM rules ask
        for the current type's spec twice per service, ~10 µs of numpy reads each."""
        key = ("spec", name)
        if (known := self.memo.get(key)) is None:
            known = self.memo[key] = self.instance_types.spec_at(int(self.type_index([name])[0]))
        return known

    def on_demand_usd_per_hour(self, names: Names, region: str) -> NDArray[np.float64]:
        """On-demand USD/hour of each type in a region; NaN where the type is not offered there."""
        rows = self.type_index(names)
        prices: NDArray[np.float64] = self.on_demand_usd_per_hour_grid[
            rows, self.region_column(region)
        ]
        return prices

    def offered_mask(self, region: str) -> NDArray[np.bool_]:
        """True for each type (in catalog order) with a known on-demand price in the region."""
        return ~np.isnan(self.on_demand_usd_per_hour_grid[:, self.region_column(region)])

    def k8s_usd_per_hour(self, region: str) -> tuple[float, float]:
        """Kubernetes request prices in a region: (USD per core-hour, USD per GiB-hour)."""
        column = _position(self.k8s_regions, region)
        if column is None:
            raise UnknownRegion(f"no Kubernetes ({self.k8s_series}) prices for region {region!r}")
        return float(self.k8s_cpu_usd_per_core_hour[column]), float(
            self.k8s_memory_usd_per_gib_hour[column]
        )

    def cheapest_fitting(
        self,
        region: str,
        *,
        min_vcpu: float,
        min_memory_gib: float,
        architecture: str | None = None,
        families: Collection[str] | None = None,
    ) -> InstanceSpec | None:
        """The cheapest type offered in the region, with at least the vCPUs and memory asked for.

        Types with a GPU or in an accelerated category (ACCELERATED_CATEGORIES) never qualify.
        Optionally restricted to one architecture and to a set of families. Equal prices go to the
        name that sorts first, so the answer is deterministic. None when nothing fits.
        """
        prices = self.on_demand_usd_per_hour_grid[:, self.region_column(region)]
        candidates = np.flatnonzero(
            self._fits(min_vcpu, min_memory_gib, architecture, families) & ~np.isnan(prices)
        )
        if len(candidates) == 0:
            return None
        # argmin returns the first minimum and rows are sorted by name: ties go to the first name.
        return self.instance_types.spec_at(int(candidates[np.argmin(prices[candidates])]))

    def _fits(
        self,
        min_vcpu: float,
        min_memory_gib: float,
        architecture: str | None,
        families: Collection[str] | None,
    ) -> NDArray[np.bool_]:
        types = self.instance_types
        mask = types.general & (types.vcpu >= min_vcpu) & (types.memory_gib >= min_memory_gib)
        if architecture is not None:
            if architecture not in ARCHITECTURES:
                raise ValueError(
                    f"architecture must be one of {ARCHITECTURES}, got {architecture!r}"
                )
            mask &= types.architecture == architecture
        if families is not None:
            mask &= types.family_mask(families)
        return mask

    def region_column(self, region: str) -> int:
        """Column of an EC2 region in the on-demand grid; UnknownRegion if it has no prices."""
        column = _position(self.regions, region)
        if column is None:
            raise UnknownRegion(f"no EC2 prices for region {region!r}")
        return column


def _position(sorted_items: tuple[str, ...], item: str) -> int | None:
    """Index of `item` in a sorted tuple, or None if absent."""
    index = bisect.bisect_left(sorted_items, item)
    return index if index < len(sorted_items) and sorted_items[index] == item else None


def _require_sorted_unique(items: tuple[str, ...], label: str) -> None:
    if list(items) != sorted(set(items)):
        raise ValueError(f"{label} must be unique and sorted ascending")


def _lock(array: NDArray[np.generic]) -> None:
    """Make an array read-only: a frozen catalog is shared between callers and cached."""
    array.flags.writeable = False
