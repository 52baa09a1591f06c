"""Horizontal scaling: the replica count peak demand needs at the profile's target utilization."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from engine.capacity import CapacityConfig
from engine.context import ServiceContext
from engine.recommendation import Recommendation
from engine.rules.decide import Search, decide, no_data
from engine.rules.sizing import lookback
from engine.sla import replicas_needed


def horizontal(ctx: ServiceContext) -> Recommendation:
    """Scale in or out, keeping the per-replica size.

    Replicas = ceil(peak hourly p95 CPU / (vCPU per replica × profile.target_utilization)), never
    below max(min_replicas, zones, replicas the availability target needs). If that count fails
    the SLA, the next counts up to max(2 × current + 2, start) are tried in the same batch and the
    smallest passing one wins (engine.rules.sizing.decide). Zones rise to 2 when the
    availability target needs redundancy (see `spread`).
    """
    window = lookback(ctx.usage, ctx.config, ctx.profile)
    shortfall = no_data("horizontal", ctx, window)
    if shortfall is not None:
        return shortfall
    start = target_replicas(ctx, float(np.nanmax(window.cpu_used_p95_cores)))
    stop = max(2 * ctx.config.replicas + 2, start)
    availability_pct = ctx.service.sla.availability_target_pct
    configs = tuple(spread(ctx.config, r, availability_pct) for r in range(start, stop + 1))
    search = Search(
        kind="horizontal",
        configs=configs,
        restart_needed=False,
        effort="very low",
        detail={"target_utilization": ctx.profile.target_utilization, "start_replicas": start},
    )
    return decide(ctx, window, search)


def target_replicas(ctx: ServiceContext, peak_cpu_cores: float) -> int:
    """ceil(peak / (vCPU per replica × target utilization)) bounded below by replica_floor."""
    per_replica = ctx.config.vcpu_per_replica * ctx.profile.target_utilization
    wanted = math.ceil(round(peak_cpu_cores / per_replica, 9)) if per_replica > 0 else 1
    return max(wanted, replica_floor(ctx.config, ctx.service.sla.availability_target_pct))


def replica_floor(config: CapacityConfig, availability_target_pct: float) -> int:
    """max(min_replicas, zones, replicas the availability target needs, 1)."""
    return max(config.min_replicas, config.zones, replicas_needed(availability_target_pct), 1)


def spread(config: CapacityConfig, replicas: int, availability_target_pct: float) -> CapacityConfig:
    """The config at `replicas`, spread over ≥ 2 zones when the availability target needs ≥ 2."""
    redundant = replicas_needed(availability_target_pct) >= 2 and replicas >= 2
    zones = max(config.zones, 2) if redundant else config.zones
    return replace(config, replicas=replicas, zones=zones)
