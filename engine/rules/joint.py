"""Joint search: instance type (or pod size) × replicas, the cheapest that keeps the SLA."""

from __future__ import annotations

import numpy as np

from engine.arrays import IntArray
from engine.context import ServiceContext
from engine.recommendation import Recommendation
from engine.rules.decide import Plan, Search, judge, no_data, plan_by
from engine.rules.grid import CandidateGrid, pod_grid, spread_zones, vm_grid
from engine.rules.horizontal import replica_floor
from engine.rules.rightsize import allowed_families, fitting_rows
from engine.rules.sizing import MILLICORES_PER_CORE, Needs, lookback, needs, round_memory_gib
from engine.rules.window_stats import WindowStats
from engine.usage import UsageWindow

# Pods: per-replica CPU = total need / replicas × these steps.
POD_CPU_STEPS = (1.0, 1.25, 1.5, 2.0)


def joint(ctx: ServiceContext) -> Recommendation:
    """Search size × replicas together; the cheapest candidate the SLA engine passes wins.

    Replicas run from the floor (min replicas, zones, availability) to max(2 × current + 2, floor).
    VM sizes: the types of the allowed families that can hold the total need within the replica
    range, cheapest first (≤ 12), plus the current type. Pod sizes: total CPU need / replicas ×
    1, 1.25, 1.5, 2 (rounded up to 1m) plus the current request; memory need / replicas (1 MiB).
    A candidate must hold the profile's total need (percentile × (1 + headroom), memory max ×
    (1 + headroom)); all are judged in ONE evaluate_candidates call (engine.rules.decide).
    """
    window = lookback(ctx.usage, ctx.config, ctx.profile)
    return judge(ctx, [plan_joint(ctx, window)])[0]


def plan_joint(
    ctx: ServiceContext, window: UsageWindow, stats: WindowStats | None = None
) -> Plan | Recommendation:
    """`joint`'s candidates over `window`, priced and screened (`decide.plan_by`)."""
    return plan_by(search_joint, ctx, window, stats)


def search_joint(
    ctx: ServiceContext, window: UsageWindow, stats: WindowStats
) -> Search | Recommendation:
    """`joint`'s candidate grid over `window`, not yet priced or screened (plan_many does
    that for a batch), or why there is none."""
    shortfall = no_data("joint", ctx, window, stats)
    if shortfall is not None:
        return shortfall
    total = needs(window, 1, ctx.profile, no_memory_gib=ctx.config.memory_capacity_gib, stats=stats)
    floor = replica_floor(ctx.config, ctx.service.sla.availability_target_pct)
    replicas = np.arange(floor, max(2 * ctx.config.replicas + 2, floor) + 1, dtype=np.int64)
    if ctx.config.platform == "vm":
        grid = _vm_grid(ctx, total, replicas)
    else:
        grid = _pod_grid(ctx, total, replicas)
    search = Search(
        kind="joint",
        grid=grid,
        restart_needed=True,
        effort="medium",
        detail={"cpu_need_cores_total": total.cpu_cores, "memory_need_gib_total": total.memory_gib},
    )
    return search


def _vm_grid(ctx: ServiceContext, total: Needs, replicas: IntArray) -> CandidateGrid:
    current = ctx.catalog.spec(ctx.config.instance_type or "")
    most = int(replicas[-1])
    rows = fitting_rows(
        ctx.catalog,
        ctx.service.region,
        min_vcpu=max(total.cpu_cores / most, ctx.profile.cpu_floor_cores),
        min_memory_gib=total.memory_gib / most,
        architecture=current.architecture,
        families=allowed_families(ctx.catalog, current),
    )
    current_row = int(ctx.catalog.type_index([current.name])[0])
    if current_row not in rows:  # the current type at other counts: joint ⊇ horizontal
        rows = np.append(rows, current_row)
    types = ctx.catalog.instance_types
    # Type-major grid (every count of the first type, then the next …), kept where it holds
    # the total need.
    r = np.tile(replicas, len(rows))
    type_rows = np.repeat(rows, len(replicas))
    holds = (r * types.vcpu[type_rows] >= total.cpu_cores) & (
        r * types.memory_gib[type_rows] >= total.memory_gib
    )
    r, type_rows = r[holds], type_rows[holds]
    zones = spread_zones(ctx.config, r, ctx.service.sla.availability_target_pct)
    return vm_grid(ctx.config, r, zones, type_rows, types)


def _pod_grid(ctx: ServiceContext, total: Needs, replicas: IntArray) -> CandidateGrid:
    """Per count: the current request and the need / count × POD_CPU_STEPS (1m, floored)."""
    profile = ctx.profile
    steps = np.asarray(POD_CPU_STEPS)
    wanted = total.cpu_cores / replicas[:, None] * steps[None, :]
    millicores = np.ceil(np.round(wanted * MILLICORES_PER_CORE, 6)) / MILLICORES_PER_CORE
    cpu = np.maximum(millicores, profile.cpu_floor_cores)
    current_cpu = np.full((len(replicas), 1), ctx.config.cpu_request_cores or 0.0)
    cpu = np.sort(np.concatenate([current_cpu, cpu], axis=1), axis=1)
    distinct = np.ones(cpu.shape, dtype=bool)
    distinct[:, 1:] = cpu[:, 1:] != cpu[:, :-1]
    # Row by row, each count (and its memory) once per distinct CPU step: what masking the
    # rows broadcast over the steps gives, without broadcast_to's Python-level cost.
    per_count = np.count_nonzero(distinct, axis=1)
    r = np.repeat(replicas, per_count)
    memory_gib = np.array(
        [
            round_memory_gib(total.memory_gib / n, profile.memory_floor_gib)
            for n in replicas.tolist()
        ]
    )
    memory = np.repeat(memory_gib, per_count)
    zones = spread_zones(ctx.config, r, ctx.service.sla.availability_target_pct)
    return pod_grid(ctx.config, r, zones, cpu[distinct], memory)
