"""The explanation a sizing recommendation carries: rule, profile, window and why it won."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from engine.context import ServiceContext
from engine.explanation import Explanation, FactValue, HistoryWindow, ProfileUsed
from engine.sla import SlaVerdict
from engine.usage import UsageWindow

if TYPE_CHECKING:  # decide imports this module: its Search only types the argument
    from engine.rules.decide import Search


def explain(
    ctx: ServiceContext, window: UsageWindow, search: Search, *, why: str, current: SlaVerdict
) -> Explanation:
    """The explanation every recommendation carries: rule, profile, window, why it won."""
    profile = ctx.profile
    facts: dict[str, FactValue] = {
        "rule": search.kind,
        "data_points": int(np.count_nonzero(np.isfinite(window.cpu_used_p95_cores))),
        "candidates_judged": len(search.grid),  # full SLA verdict (the shortlist)
        **search.detail,
    }
    if not window.points:  # no history: stored rows have always said so with null ends
        facts |= {"window_start": None, "window_end": None}
    if not current.passes:
        facts["current_fails_sla"] = True
        facts["current_risk"] = f"{current.risk_score} ({current.risk_label})"
        facts["current_reasons"] = list(current.reasons)
    return Explanation(
        why=why,
        profile=ProfileUsed(
            profile.name,
            profile.cpu_percentile,
            profile.cpu_headroom_pct,
            profile.memory_headroom_pct,
        ),
        window=_history(window),
        facts=tuple(facts.items()),
    )


def _history(window: UsageWindow) -> HistoryWindow | None:
    if not window.points:
        return None
    first, last = (hour.astype("datetime64[s]").item() for hour in window.hour_start[[0, -1]])
    return HistoryWindow(first, last)
