"""Vertical rightsizing: the smallest per-replica size that fits usage and keeps the SLA."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine.arrays import FloatArray
from engine.catalog import Catalog, InstanceSpec
from engine.context import ServiceContext
from engine.recommendation import Recommendation
from engine.rules.decide import Plan, Search, judge, no_data, plan_by
from engine.rules.grid import CandidateGrid, pod_grid, vm_grid
from engine.rules.sizing import Needs, lookback, needs, round_cpu_cores, round_memory_gib
from engine.rules.window_stats import WindowStats
from engine.usage import UsageWindow

# Pods: the profile target × these steps, so a target the SLA rejects can step up (bounded).
K8S_CPU_STEPS = (1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)
MAX_TYPE_CANDIDATES = 12
_DIGITS = "0123456789"


def rightsize(ctx: ServiceContext) -> Recommendation:
    """Rightsize vertically at the current replica count.

    Need per replica = CPU percentile × (1 + headroom), memory max × (1 + headroom) (sizing.needs).
    VM: candidates are the fitting types (cheapest first, ≤ 12) of the allowed families — same
    family class at the current generation or newer, same architecture. Pods: requests rounded up
    to 1m / 1 MiB with the profile floors, stepped up ×1.1 … ×3 in case the SLA needs more.
    The cheapest candidate the SLA engine passes wins (engine.rules.decide).
    """
    window = lookback(ctx.usage, ctx.config, ctx.profile)
    return judge(ctx, [plan_rightsize(ctx, window)])[0]


def plan_rightsize(
    ctx: ServiceContext, window: UsageWindow, stats: WindowStats | None = None
) -> Plan | Recommendation:
    """`rightsize`'s candidates over `window`, priced and screened (`decide.plan_by`)."""
    return plan_by(search_rightsize, ctx, window, stats)


def search_rightsize(
    ctx: ServiceContext, window: UsageWindow, stats: WindowStats
) -> Search | Recommendation:
    """`rightsize`'s candidate grid over `window`, not yet priced or screened (plan_many does
    that for a batch), or why there is none."""
    shortfall = no_data("rightsize", ctx, window, stats)
    if shortfall is not None:
        return shortfall
    memory_gib = ctx.config.memory_gib_per_replica
    need = needs(window, ctx.config.replicas, ctx.profile, no_memory_gib=memory_gib, stats=stats)
    grid = _vm_candidates(ctx, need) if ctx.config.platform == "vm" else _pod_candidates(ctx, need)
    search = Search(
        kind="rightsize",
        grid=grid,
        restart_needed=True,
        effort="low" if ctx.config.platform == "kubernetes" else "medium",
        detail={
            "cpu_need_cores_per_replica": need.cpu_cores,
            "memory_need_gib_per_replica": need.memory_gib,
        },
    )
    return search


def _vm_candidates(ctx: ServiceContext, need: Needs) -> CandidateGrid:
    current = ctx.catalog.spec(ctx.config.instance_type or "")
    rows = fitting_rows(
        ctx.catalog,
        ctx.service.region,
        min_vcpu=need.cpu_cores,
        min_memory_gib=need.memory_gib,
        architecture=current.architecture,
        families=allowed_families(ctx.catalog, current),
    )
    count = len(rows)
    return vm_grid(
        ctx.config,
        np.full(count, ctx.config.replicas, dtype=np.int64),
        np.full(count, ctx.config.zones, dtype=np.int64),
        rows,
        ctx.catalog.instance_types,
    )


def _pod_candidates(ctx: ServiceContext, need: Needs) -> CandidateGrid:
    profile = ctx.profile
    memory_gib = round_memory_gib(need.memory_gib, profile.memory_floor_gib)
    # sorted(set()) of floats is np.unique's answer without its dispatch (8 values a service)
    cpu_steps = sorted(
        {round_cpu_cores(need.cpu_cores * step, profile.cpu_floor_cores) for step in K8S_CPU_STEPS}
    )
    count = len(cpu_steps)
    return pod_grid(
        ctx.config,
        np.full(count, ctx.config.replicas, dtype=np.int64),
        np.full(count, ctx.config.zones, dtype=np.int64),
        np.array(cpu_steps, dtype=np.float64),
        np.full(count, memory_gib),
    )


def allowed_families(catalog: Catalog, current: InstanceSpec) -> frozenset[str]:
    """Same family class (leading letters: m, c, r, t …) at the current generation or newer."""
    key = ("allowed_families", current.family, current.generation)
    if (known := catalog.memo.get(key)) is None:
        known = catalog.memo[key] = _allowed_families(catalog, current)
    return known


def _allowed_families(catalog: Catalog, current: InstanceSpec) -> frozenset[str]:
    types = catalog.instance_types
    wanted = _family_class(current.family)
    size = len(wanted)
    heads = types.families.astype(f"<U{size + 1}")  # one row per family, not per type
    next_char = _char_at(heads, size)
    mask = (heads.astype(f"<U{size}") == wanted) & np.char.isdigit(next_char)
    mask &= types.family_generation >= current.generation
    return frozenset(types.families[mask].tolist()) | {current.family}


def fitting_rows(
    catalog: Catalog,
    region: str,
    *,
    min_vcpu: float,
    min_memory_gib: float,
    architecture: str,
    families: frozenset[str],
    limit: int = MAX_TYPE_CANDIDATES,
) -> npt.NDArray[np.intp]:
    """Catalog rows of up to `limit` offered, non-accelerated types that fit, cheapest first.

    Ties go to the name that sorts first (rows are name-sorted and the sort is stable), so the
    first row is what `Catalog.cheapest_fitting` returns for the same arguments.
    """
    eligible, vcpu, memory_gib = _eligible_rows(catalog, region, architecture, families)
    fits = (vcpu >= min_vcpu) & (memory_gib >= min_memory_gib)
    ordered: npt.NDArray[np.intp] = eligible[fits][:limit]
    return ordered


def _eligible_rows(
    catalog: Catalog, region: str, architecture: str, families: frozenset[str]
) -> tuple[npt.NDArray[np.intp], FloatArray, FloatArray]:
    """Rows of the priced, non-accelerated types of an architecture and family set in a region,
    cheapest first (a stable sort of the name-sorted rows), with their vCPU and GiB; the same
    for every service asking."""
    key = ("eligible_rows", region, architecture, families)
    if (known := catalog.memo.get(key)) is not None:
        return known  # type: ignore[no-any-return]
    types = catalog.instance_types
    prices = catalog.on_demand_usd_per_hour_grid[:, catalog.region_column(region)]
    eligible = (types.architecture == architecture) & types.family_mask(families) & types.general
    rows = np.flatnonzero(eligible & ~np.isnan(prices))
    ordered: npt.NDArray[np.intp] = rows[np.argsort(prices[rows], kind="stable")]
    found = (ordered, types.vcpu[ordered], types.memory_gib[ordered])
    for column in found:
        column.flags.writeable = False
    catalog.memo[key] = found
    return found


def _family_class(family: str) -> str:
    """'m6i' → 'm', 'c7gn' → 'c', 'r5' → 'r': the letters before the generation digit."""
    head = family
    for index, char in enumerate(family):
        if char in _DIGITS:
            head = family[:index]
            break
    return head


def _char_at(names: npt.NDArray[np.str_], index: int) -> npt.NDArray[np.str_]:
    """The character at `index` of each name ('' when shorter), vectorized."""
    view = names.astype(f"<U{index + 1}").view("<U1").reshape(len(names), index + 1)
    column: npt.NDArray[np.str_] = view[:, index]
    return column
