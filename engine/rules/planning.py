"""decide.plan for every sizing rule of a batch: priced per grid, screened in one pass."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.arrays import FloatArray
from engine.context import ServiceContext
from engine.errors import EngineError
from engine.recommendation import Recommendation
from engine.rules.decide import Plan, Search, cannot_evaluate, plan, shortlisted
from engine.rules.window_stats import WindowStats
from engine.sla import Candidates
from engine.sla.screens import Screen, screen_many
from engine.usage import UsageWindow


@dataclass(frozen=True, slots=True)
class Planning:
    """One rule's search on one service's window, waiting to be priced and screened."""

    ctx: ServiceContext
    window: UsageWindow
    search: Search
    stats: WindowStats


def plan_many(items: Sequence[Planning]) -> list[Plan | Recommendation]:
    """decide.plan of every item (an EngineError becoming the rule's "not_applicable", as
    rules.recommend does), in order: the same values. Each grid is priced alone (its region
    and catalog), the screens of all run as one screen_many call."""
    out: list[Plan | Recommendation | None] = []
    waiting: list[tuple[int, Planning, FloatArray]] = []
    for item in items:
        early = _early(item)
        if isinstance(early, np.ndarray):
            waiting.append((len(out), item, early))
        out.append(None if isinstance(early, np.ndarray) else early)
    screens = screen_many([_screen(item) for _, item, _ in waiting])
    for (index, item, costs), ok in zip(waiting, screens, strict=True):
        order = np.argsort(costs, kind="stable")
        out[index] = shortlisted(item.window, item.search, (costs, order, ok), item.stats)
    return [one for one in out if one is not None]


def _early(item: Planning) -> Plan | Recommendation | FloatArray:
    """What decide.plan answers before its screen (an empty grid, a pricing error), or the
    grid's costs. A window without hours (no screen peaks) is planned alone: the screen
    raises there, and that error is the rule's answer."""
    ctx, search = item.ctx, item.search
    try:
        if not len(search.grid) or item.stats.screen_peaks is None or not item.window.points:
            return plan(ctx, item.window, search, item.stats)
        costs: FloatArray = search.grid.monthly_effective_usd(
            region=ctx.service.region, catalog=ctx.catalog
        )
        return costs
    except EngineError as error:
        return cannot_evaluate(search.kind, ctx, error)


def _screen(item: Planning) -> Screen:
    grid, peaks = item.search.grid, item.stats.screen_peaks
    if peaks is None:  # never: _early planned the windows without peaks alone
        raise ValueError("a window without hours has no screen")
    candidates = Candidates.checked_already(
        grid.replicas, grid.vcpu_per_replica, grid.memory_gib_per_replica, grid.zones
    )
    return Screen(candidates, peaks, item.ctx.service.sla, item.ctx.policy)
