"""What a capacity configuration costs per hour, at list and effective (discounted) prices."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.arrays import FloatArray
from engine.capacity import ALWAYS_ON, CapacityConfig
from engine.catalog import Catalog, CommitmentDiscounts, Names
from engine.errors import UnknownInstanceType
from engine.units import HOURS_PER_DAY, HOURS_PER_MONTH, HOURS_PER_WEEK

# "weekdays 07-20": running 07:00-20:00 UTC, Monday to Friday (the end hour is exclusive).
_ON_HOURS = re.compile(r"weekdays (\d{2})-(\d{2})")
_WEEKDAYS_PER_WEEK = 5
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday; weekday 0 is Monday as in datetime.weekday()


@dataclass(frozen=True, slots=True)
class ConfigCost:
    """USD per hour of a configuration, averaged over the hours of a week."""

    list_usd_per_hour: float
    effective_usd_per_hour: float

    @property
    def monthly_list_usd(self) -> float:
        """List USD per hour × 730 hours."""
        return self.list_usd_per_hour * HOURS_PER_MONTH

    @property
    def monthly_effective_usd(self) -> float:
        """Effective USD per hour × 730 hours."""
        return self.effective_usd_per_hour * HOURS_PER_MONTH


def config_cost(config: CapacityConfig, *, region: str, catalog: Catalog) -> ConfigCost:
    """Average hourly cost of a configuration in a region.

    Rules:
    - VM: on-demand price of the instance type in the region × replicas.
    - Kubernetes: (cpu_request_cores × USD/core-hour + memory_request_gib × USD/GiB-hour)
      × replicas, at the catalog's per-core and per-GiB prices for the (GCP) region.
    - List cost prices every replica-hour on demand.
    - Effective cost = on-demand share at list + commitment-covered share × (1 − one-year discount)
      + spot share × (1 − spot discount).
    - Schedule "always" runs 24×7; an on-hours schedule ("weekdays 07-20") costs its fraction of
      the 168-hour week (see `scheduled_fraction`); off hours cost nothing.

    Raises UnknownInstanceType (type not in the catalog, or not offered in the region),
    UnknownRegion (no prices for the region) and ValueError (malformed schedule).
    """
    running = running_cost(config, region=region, catalog=catalog)
    fraction = scheduled_fraction(config.schedule)
    return ConfigCost(
        list_usd_per_hour=running.list_usd_per_hour * fraction,
        effective_usd_per_hour=running.effective_usd_per_hour * fraction,
    )


def running_cost(config: CapacityConfig, *, region: str, catalog: Catalog) -> ConfigCost:
    """Hourly cost while the configuration runs, ignoring its schedule (rules of `config_cost`)."""
    list_usd = replica_list_usd_per_hour(config, region=region, catalog=catalog) * config.replicas
    return ConfigCost(
        list_usd_per_hour=list_usd,
        effective_usd_per_hour=list_usd * effective_ratio(config, catalog.discounts),
    )


def replica_list_usd_per_hour(config: CapacityConfig, *, region: str, catalog: Catalog) -> float:
    """On-demand USD per hour of one replica: instance price, or priced pod requests."""
    if config.platform == "vm":
        instance_type = config.instance_type or ""  # CapacityConfig guarantees one for a VM
        # One known type priced in the region: its grid cell, read directly — the value the
        # array path below reads, without building a one-name array (this runs for every
        # current config and every winner). Anything else takes that path and its errors.
        row = catalog.instance_types.row_of.get(instance_type)
        if row is not None:
            price = float(catalog.on_demand_usd_per_hour_grid[row, catalog.region_column(region)])
            if not math.isnan(price):
                return price
        return float(instance_hourly_usd(np.array([instance_type]), region, catalog)[0])
    usd_per_core_hour, usd_per_gib_hour = catalog.k8s_usd_per_hour(region)
    cpu_cores = config.cpu_request_cores or 0.0
    memory_gib = config.memory_request_gib or 0.0
    return cpu_cores * usd_per_core_hour + memory_gib * usd_per_gib_hour


def effective_ratio(config: CapacityConfig, discounts: CommitmentDiscounts) -> float:
    """Effective / list price for the configuration's pricing mix."""
    commitment_share = config.commitment_coverage_pct / 100.0
    spot_share = config.spot_pct / 100.0
    # Same as the share-weighted sum in `config_cost`'s rule, written as 1 minus the savings so
    # that rounding can never lift effective above list when discounts are >= 0.
    return (
        1.0
        - commitment_share * discounts.one_year_pct / 100.0
        - spot_share * discounts.spot_pct / 100.0
    )


def instance_hourly_usd(types: Names, region: str, catalog: Catalog) -> FloatArray:
    """On-demand USD/hour of each type in a region; UnknownInstanceType if one is not offered."""
    prices = catalog.on_demand_usd_per_hour(types, region)
    missing = np.isnan(prices)
    if np.any(missing):
        names = ", ".join(sorted(set(np.asarray(types, dtype=np.str_)[missing].tolist())))
        raise UnknownInstanceType(f"no on-demand price for {names} in region {region}")
    return prices


def scheduled_fraction(schedule: str) -> float:
    """Share of the 168-hour week a schedule runs: "always" → 1, "weekdays 07-20" → 65/168."""
    window = _on_hours(schedule)
    if window is None:
        return 1.0
    start_hour, end_hour = window
    return _WEEKDAYS_PER_WEEK * (end_hour - start_hour) / HOURS_PER_WEEK


def running_mask(schedule: str, hour_start: npt.NDArray[np.datetime64]) -> npt.NDArray[np.bool_]:
    """True for each hour (UTC datetime64) in which a configuration on `schedule` runs."""
    window = _on_hours(schedule)
    if window is None:
        return np.ones(hour_start.shape, dtype=np.bool_)
    start_hour, end_hour = window
    hours = hour_start.astype("datetime64[h]").astype(np.int64)
    hour_of_day = hours % HOURS_PER_DAY
    weekday = (hours // HOURS_PER_DAY + _EPOCH_WEEKDAY) % 7
    running: npt.NDArray[np.bool_] = (
        (weekday < _WEEKDAYS_PER_WEEK) & (hour_of_day >= start_hour) & (hour_of_day < end_hour)
    )
    return running


def _on_hours(schedule: str) -> tuple[int, int] | None:
    """(start, end) hours of an on-hours schedule, None for always-on; ValueError if malformed."""
    if schedule == ALWAYS_ON:
        return None
    match = _ON_HOURS.fullmatch(schedule)
    if match is None:
        raise ValueError(
            f"schedule must be {ALWAYS_ON!r} or like 'weekdays 07-20', not {schedule!r}"
        )
    start_hour, end_hour = int(match[1]), int(match[2])
    if not 0 <= start_hour < end_hour <= HOURS_PER_DAY:
        raise ValueError(f"schedule {schedule!r}: hours must satisfy 00 <= start < end <= 24")
    return start_hour, end_hour
