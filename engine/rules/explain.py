"""The explanation a sizing recommendation carries: rule, profile, window and why it won."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from engine.context import ServiceContext
from engine.explanation import Explanation, FactValue, HistoryWindow, ProfileUsed
from engine.profiles import SizingProfile
from engine.sla import SlaVerdict
from engine.usage import UsageWindow

if TYPE_CHECKING:  # decide imports this module: its Search only types the argument
    from engine.rules.decide import Search


@dataclass(frozen=True, slots=True)
class WindowFacts:
    """What an explanation says of its window: the known CPU hours and the first and last hour
    (the same for every rule of a service: worked out once, not per recommendation)."""

    data_points: int
    history: HistoryWindow | None
    empty: bool


def window_facts(window: UsageWindow, *, finite_points: int | None = None) -> WindowFacts:
    """The window's WindowFacts; `finite_points`: its count of finite CPU hours when the caller
    has it (WindowStats.finite_points)."""
    points = finite_points
    if points is None:
        points = int(np.count_nonzero(np.isfinite(window.cpu_used_p95_cores)))
    return WindowFacts(points, _history(window), not window.points)


def explain(
    ctx: ServiceContext,
    window: UsageWindow,
    search: Search,
    *,
    why: str,
    current: SlaVerdict,
    known: WindowFacts | None = None,
) -> Explanation:
    """The explanation every recommendation carries: rule, profile, window, why it won.
    `known`: the window's facts when the caller has them (else worked out here)."""
    profile = ctx.profile
    known = known or window_facts(window)
    facts: dict[str, FactValue] = {
        "rule": search.kind,
        "data_points": known.data_points,
        "candidates_judged": len(search.grid),  # full SLA verdict (the shortlist)
        **search.detail,
    }
    if known.empty:  # no history: stored rows have always said so with null ends
        facts |= {"window_start": None, "window_end": None}
    if not current.passes:
        facts["current_fails_sla"] = True
        facts["current_risk"] = f"{current.risk_score} ({current.risk_label})"
        facts["current_reasons"] = list(current.reasons)
    return Explanation(
        why=why,
        profile=profile_used(profile),
        window=known.history,
        facts=tuple(facts.items()),
    )


@lru_cache(maxsize=64)
def profile_used(profile: SizingProfile) -> ProfileUsed:
    """The explanation's record of a profile: one value per profile, shared by every
    recommendation made with it (a pickled batch of results then carries it once)."""
    return ProfileUsed(
        profile.name, profile.cpu_percentile, profile.cpu_headroom_pct, profile.memory_headroom_pct
    )


def _history(window: UsageWindow) -> HistoryWindow | None:
    if not window.points:
        return None
    hours = window.hour_start  # the two ends as scalars: no gathered copy for two values
    first, last = (hour.astype("datetime64[s]").item() for hour in (hours[0], hours[-1]))
    return HistoryWindow(first, last)
