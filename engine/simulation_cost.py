"""Hourly cost of a scenario's fleet under its pricing mix: list, effective, waste and savings."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from engine.capacity import ALWAYS_ON, CapacityConfig
from engine.catalog import Catalog
from engine.cost import config_cost
from engine.usage import FloatArray


@dataclass(frozen=True, slots=True)
class PricingMix:
    """Shares of the fleet and their discounts, in percent."""

    commitment_coverage_pct: float
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
    commitment_discount_pct: float | None = None,
    spot_discount_pct: float | None = None,
) -> PricingMix:
    """The config's shares with the given discounts, or the catalog's one-year / spot ones."""
    discounts = catalog.discounts
    return PricingMix(
        commitment_coverage_pct=config.commitment_coverage_pct,
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


def hourly_cost(
    replicas: FloatArray,
    running: FloatArray,
    *,
    committed_replicas: float,
    replica_usd: float,
    mix: PricingMix,
) -> HourlyCost:
    """Cost of each hour for `replicas` running while `running` (1.0 on schedule, else 0.0).

    Rules: the commitment buys `committed_replicas` replica-hours every hour, used or not, at
    (1 − commitment discount); running replicas use it first, the spot share of the running
    replicas comes next (at 1 − spot discount), the rest is on demand. Commitment waste = the
    commitment's unused part; list = every running replica on demand; schedule savings = the
    effective cost if the fleet ran every hour minus the effective cost on schedule.
    """
    scheduled = _effective(replicas * running, committed_replicas, replica_usd, mix)
    always = _effective(replicas, committed_replicas, replica_usd, mix)
    return HourlyCost(
        list_usd=replicas * running * replica_usd,
        effective_usd=scheduled[0],
        commitment_waste_usd=scheduled[1],
        spot_savings_usd=scheduled[2],
        schedule_savings_usd=always[0] - scheduled[0],
    )


def _effective(
    active: FloatArray, committed: float, replica_usd: float, mix: PricingMix
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(effective, commitment waste, spot savings) USD per hour for `active` replicas."""
    commitment_rate = replica_usd * (1.0 - mix.commitment_discount_pct / 100.0)
    spot_rate = replica_usd * (1.0 - mix.spot_discount_pct / 100.0)
    covered = np.minimum(committed, active)
    spot = np.minimum(active * mix.spot_pct / 100.0, active - covered)
    on_demand = active - covered - spot
    effective = committed * commitment_rate + spot * spot_rate + on_demand * replica_usd
    waste = (committed - covered) * commitment_rate
    savings = spot * (replica_usd - spot_rate)
    return effective, waste, savings


def committed_replicas(config: CapacityConfig) -> float:
    """Replica-hours the commitment buys each hour: coverage % × the config's replica count."""
    return config.replicas * config.commitment_coverage_pct / 100.0


def _keep(new: float | None, old: float) -> float:
    return old if new is None else new
