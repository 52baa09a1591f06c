"""Hourly cost of a scenario's fleet under its pricing mix: list, effective, waste and savings."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from engine.arrays import FloatArray
from engine.capacity import ALWAYS_ON, CapacityConfig
from engine.catalog import Catalog
from engine.cost import config_cost


@dataclass(frozen=True, slots=True)
class Commitment:
    """A commitment sized as a share of today's fleet, then fixed, like a savings plan's spend.

    Why fixed: it is bought once, for an amount of capacity. A scenario that adds replicas runs
    them on demand (or spot); one that removes replicas or picks a cheaper size leaves part of
    it unused (commitment waste). It covers spend, not instances, so it follows a size change.
    """

    coverage_pct: float  # of today's fleet at on-demand prices
    today_fleet_usd_per_hour: float  # today's replicas × their on-demand price

    @property
    def usd_per_hour(self) -> float:
        """On-demand USD it covers every hour: coverage % × today's fleet."""
        return self.today_fleet_usd_per_hour * self.coverage_pct / 100.0

    def share_pct(self, fleet_usd_per_hour: float) -> float:
        """The share of a fleet (on-demand USD per hour) it covers, at most 100 %.

        Today's fleet gets today's coverage exactly (no rounding through dollars).
        """
        if self.coverage_pct <= 0.0:
            return 0.0
        if fleet_usd_per_hour <= self.usd_per_hour:
            return 100.0
        return min(self.coverage_pct * (self.today_fleet_usd_per_hour / fleet_usd_per_hour), 100.0)


@dataclass(frozen=True, slots=True)
class PricingMix:
    """The commitment, the spot share (of the running replicas) and their discounts, in %."""

    committed_usd_per_hour: float  # on-demand spend the commitment covers, every hour
    commitment_discount_pct: float
    spot_pct: float
    spot_discount_pct: float


@dataclass(frozen=True, slots=True)
class HourlyCost:
    """USD per observed hour; the *_usd names are per hour, summed into months elsewhere."""

    list_usd: FloatArray
    effective_usd: FloatArray
    commitment_waste_usd: FloatArray
    spot_savings_usd: FloatArray
    schedule_savings_usd: FloatArray

    def stacked(self) -> FloatArray:
        """hours × 5 in field order, for one matrix product per simulation."""
        return np.column_stack(
            [
                self.list_usd,
                self.effective_usd,
                self.commitment_waste_usd,
                self.spot_savings_usd,
                self.schedule_savings_usd,
            ]
        )


def pricing_mix(
    config: CapacityConfig,
    catalog: Catalog,
    *,
    commitment: Commitment,
    commitment_discount_pct: float | None = None,
    spot_discount_pct: float | None = None,
) -> PricingMix:
    """The commitment, the config's spot share, and the given discounts or the catalog's
    one-year / spot ones."""
    discounts = catalog.discounts
    return PricingMix(
        committed_usd_per_hour=commitment.usd_per_hour,
        commitment_discount_pct=_keep(commitment_discount_pct, discounts.one_year_pct),
        spot_pct=config.spot_pct,
        spot_discount_pct=_keep(spot_discount_pct, discounts.spot_pct),
    )


def replica_usd_per_hour(config: CapacityConfig, *, region: str, catalog: Catalog) -> float:
    """On-demand USD per hour of one replica of the config (engine.cost's prices)."""
    single = replace(
        config, replicas=1, schedule=ALWAYS_ON, commitment_coverage_pct=0.0, spot_pct=0.0
    )
    return config_cost(single, region=region, catalog=catalog).list_usd_per_hour


def covered_shares(
    config: CapacityConfig, commitment: Commitment, *, fleet_usd_per_hour: float
) -> CapacityConfig:
    """The config with the share of its fleet the commitment covers, and the spot share left.

    Rule: coverage = commitment.share_pct of the config's fleet at on-demand prices; spot keeps
    its share of what the commitment leaves uncovered (hourly_cost's order).
    """
    coverage_pct = commitment.share_pct(fleet_usd_per_hour)
    spot_pct = min(config.spot_pct, 100.0 - coverage_pct)
    return replace(config, commitment_coverage_pct=coverage_pct, spot_pct=spot_pct)


def hourly_cost(
    replicas: FloatArray, running: FloatArray, *, replica_usd: float, mix: PricingMix
) -> HourlyCost:
    """Cost of each hour for `replicas` running while `running` (1.0 on schedule, else 0.0).

    Rules: the commitment covers `mix.committed_usd_per_hour` of on-demand spend every hour,
    used or not, at (1 − commitment discount); running replicas use it first, the spot share
    of the running replicas comes next (at 1 − spot discount), the rest is on demand.
    Commitment waste = the commitment's unused part; list = every running replica on demand;
    schedule savings = the effective cost if the fleet ran every hour minus on schedule.
    """
    scheduled = _effective(replicas * running * replica_usd, mix)
    always = _effective(replicas * replica_usd, mix)
    return HourlyCost(
        list_usd=replicas * running * replica_usd,
        effective_usd=scheduled[0],
        commitment_waste_usd=scheduled[1],
        spot_savings_usd=scheduled[2],
        schedule_savings_usd=always[0] - scheduled[0],
    )


def _effective(
    active_usd: FloatArray, mix: PricingMix
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(effective, commitment waste, spot savings) USD per hour for `active_usd` of on-demand
    spend (the running replicas at list price)."""
    committed = mix.committed_usd_per_hour
    commitment_factor = 1.0 - mix.commitment_discount_pct / 100.0
    spot_factor = 1.0 - mix.spot_discount_pct / 100.0
    covered = np.minimum(committed, active_usd)
    spot = np.minimum(active_usd * mix.spot_pct / 100.0, active_usd - covered)
    on_demand = active_usd - covered - spot
    effective = committed * commitment_factor + spot * spot_factor + on_demand
    waste = (committed - covered) * commitment_factor
    savings = spot * (1.0 - spot_factor)
    return effective, waste, savings


def _keep(new: float | None, old: float) -> float:
    return old if new is None else new
