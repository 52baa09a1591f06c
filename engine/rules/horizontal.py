"""Horizontal scaling: the replica count peak demand needs at the profile's target utilization."""

from __future__ import annotations

import math

import numpy as np

from engine.capacity import CapacityConfig
from engine.context import ServiceContext
from engine.recommendation import Recommendation
from engine.rules.decide import Plan, Search, judge, no_data, plan_by
from engine.rules.grid import same_size, spread_zones
from engine.rules.sizing import lookback
from engine.rules.window_stats import WindowStats
from engine.sla import replicas_needed
from engine.usage import UsageWindow


def horizontal(ctx: ServiceContext) -> Recommendation:
    """Scale in or out, keeping the per-replica size.

    Replicas = ceil(peak hourly p95 CPU / (vCPU per replica × profile.target_utilization)), never
    below max(min_replicas, zones, replicas the availability target needs). If that count fails
    the SLA, the next counts up to max(2 × current + 2, start) are tried in the same batch and the
    smallest passing one wins (engine.rules.decide). Zones rise to 2 when the
    availability target needs redundancy (engine.rules.grid.spread_zones).
    """
    window = lookback(ctx.usage, ctx.config, ctx.profile)
    return judge(ctx, [plan_horizontal(ctx, window)])[0]


def plan_horizontal(
    ctx: ServiceContext, window: UsageWindow, stats: WindowStats | None = None
) -> Plan | Recommendation:
    """`horizontal`'s candidates over `window`, priced and screened (`decide.plan_by`)."""
    return plan_by(search_horizontal, ctx, window, stats)


def search_horizontal(
    ctx: ServiceContext, window: UsageWindow, stats: WindowStats
) -> Search | Recommendation:
    """`horizontal`'s candidate grid over `window`, not yet priced or screened (plan_many does
    that for a batch), or why there is none."""
    shortfall = no_data("horizontal", ctx, window, stats)
    if shortfall is not None:
        return shortfall
    start = target_replicas(ctx, stats.cpu_peak_cores())
    stop = max(2 * ctx.config.replicas + 2, start)
    availability_pct = ctx.service.sla.availability_target_pct
    replicas = np.arange(start, stop + 1, dtype=np.int64)
    grid = same_size(ctx.config, replicas, spread_zones(ctx.config, replicas, availability_pct))
    search = Search(
        kind="horizontal",
        grid=grid,
        restart_needed=False,
        effort="very low",
        detail={"target_utilization": ctx.profile.target_utilization, "start_replicas": start},
    )
    return search


def target_replicas(ctx: ServiceContext, peak_cpu_cores: float) -> int:
    """ceil(peak / (vCPU per replica × target utilization)) bounded below by replica_floor."""
    per_replica = ctx.config.vcpu_per_replica * ctx.profile.target_utilization
    wanted = math.ceil(round(peak_cpu_cores / per_replica, 9)) if per_replica > 0 else 1
    return max(wanted, replica_floor(ctx.config, ctx.service.sla.availability_target_pct))


def replica_floor(config: CapacityConfig, availability_target_pct: float) -> int:
    """max(min_replicas, zones, replicas the availability target needs, 1)."""
    return max(config.min_replicas, config.zones, replicas_needed(availability_target_pct), 1)
