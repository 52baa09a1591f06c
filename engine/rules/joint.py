"""Joint search: instance type (or pod size) × replicas, the cheapest that keeps the SLA."""

from __future__ import annotations

from engine.capacity import CapacityConfig
from engine.context import ServiceContext
from engine.recommendation import Recommendation
from engine.rules.decide import Search, decide, no_data
from engine.rules.horizontal import replica_floor, spread
from engine.rules.rightsize import allowed_families, fitting_types
from engine.rules.sizing import (
    Needs,
    lookback,
    needs,
    round_cpu_cores,
    round_memory_gib,
    with_requests,
    with_type,
)

# Pods: per-replica CPU = total need / replicas × these steps.
POD_CPU_STEPS = (1.0, 1.25, 1.5, 2.0)


def joint(ctx: ServiceContext) -> Recommendation:
    """Search size × replicas together; the cheapest candidate the SLA engine passes wins.

    Replicas run from the floor (min replicas, zones, availability) to max(2 × current + 2, floor).
    VM sizes: the types of the allowed families that can hold the total need within the replica
    range, cheapest first (≤ 12), plus the current type. Pod sizes: total CPU need / replicas ×
    1, 1.25, 1.5, 2 (rounded up to 1m) plus the current request; memory need / replicas (1 MiB).
    A candidate must hold the profile's total need (percentile × (1 + headroom), memory max ×
    (1 + headroom)); all are judged in ONE evaluate_candidates call (engine.rules.sizing.decide).
    """
    window = lookback(ctx.usage, ctx.config, ctx.profile)
    shortfall = no_data("joint", ctx, window)
    if shortfall is not None:
        return shortfall
    total = needs(window, 1, ctx.profile, no_memory_gib=ctx.config.memory_capacity_gib)
    floor = replica_floor(ctx.config, ctx.service.sla.availability_target_pct)
    replicas = range(floor, max(2 * ctx.config.replicas + 2, floor) + 1)
    if ctx.config.platform == "vm":
        configs = _vm_grid(ctx, total, replicas)
    else:
        configs = _pod_grid(ctx, total, replicas)
    search = Search(
        kind="joint",
        configs=configs,
        restart_needed=True,
        effort="medium",
        detail={"cpu_need_cores_total": total.cpu_cores, "memory_need_gib_total": total.memory_gib},
    )
    return decide(ctx, window, search)


def _vm_grid(ctx: ServiceContext, total: Needs, replicas: range) -> tuple[CapacityConfig, ...]:
    current = ctx.catalog.spec(ctx.config.instance_type or "")
    availability_pct = ctx.service.sla.availability_target_pct
    specs = fitting_types(
        ctx.catalog,
        ctx.service.region,
        min_vcpu=max(total.cpu_cores / replicas[-1], ctx.profile.cpu_floor_cores),
        min_memory_gib=total.memory_gib / replicas[-1],
        architecture=current.architecture,
        families=allowed_families(ctx.catalog, current),
    )
    if current.name not in {spec.name for spec in specs}:
        specs = (*specs, current)  # the current type at other counts: joint ⊇ horizontal
    return tuple(
        with_type(spread(ctx.config, r, availability_pct), spec, r)
        for spec in specs
        for r in replicas
        if r * spec.vcpu >= total.cpu_cores and r * spec.memory_gib >= total.memory_gib
    )


def _pod_grid(ctx: ServiceContext, total: Needs, replicas: range) -> tuple[CapacityConfig, ...]:
    profile = ctx.profile
    availability_pct = ctx.service.sla.availability_target_pct
    configs: list[CapacityConfig] = []
    for r in replicas:
        memory_gib = round_memory_gib(total.memory_gib / r, profile.memory_floor_gib)
        current_cpu = ctx.config.cpu_request_cores or 0.0
        cpus = {current_cpu} | {
            round_cpu_cores(total.cpu_cores / r * s, profile.cpu_floor_cores) for s in POD_CPU_STEPS
        }
        base = spread(ctx.config, r, availability_pct)
        configs.extend(with_requests(base, cpu, memory_gib, r) for cpu in sorted(cpus))
    return tuple(configs)
