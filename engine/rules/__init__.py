"""Recommendation rules: one explicit tuple, each a pure function of a ServiceContext."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engine.context import ServiceContext
from engine.errors import EngineError
from engine.recommendation import Recommendation, RuleName
from engine.rules.commitment import recommend_commitment
from engine.rules.decide import Search, cannot_evaluate, judge_many
from engine.rules.horizontal import horizontal, search_horizontal
from engine.rules.idle import idle
from engine.rules.joint import joint, search_joint
from engine.rules.off_hours import off_hours
from engine.rules.offer import offer
from engine.rules.planning import Planning, plan_many
from engine.rules.rightsize import rightsize, search_rightsize
from engine.rules.sizing import lookback
from engine.rules.window_stats import WindowStats, window_stats
from engine.usage import UsageWindow

__all__ = ["RULES", "Rule", "offer", "recommend", "recommend_commitment", "recommend_many"]

Rule = Callable[[ServiceContext], Recommendation]
Searcher = Callable[[ServiceContext, UsageWindow, WindowStats], Search | Recommendation]
RULES: tuple[Rule, ...] = (rightsize, horizontal, joint, idle, off_hours)
# The sizing rules of RULES as searches: recommend() plans and judges them together.
_SIZING: tuple[tuple[RuleName, Searcher], ...] = (
    ("rightsize", search_rightsize),
    ("horizontal", search_horizontal),
    ("joint", search_joint),
)
_OTHERS: tuple[tuple[RuleName, Rule], ...] = (("idle", idle), ("off_hours", off_hours))


def recommend(ctx: ServiceContext) -> tuple[Recommendation, ...]:
    """One Recommendation per rule in RULES, in order — the same values as calling each rule.

    The sizing rules share one lookback window and one SLA-engine call for their shortlists
    (engine.rules.decide.judge) instead of one each. An EngineError (say, a type the catalog
    does not price in the region) becomes that rule's "not_applicable" value, never a raise.
    """
    return recommend_many([ctx])[0]


def recommend_many(contexts: Sequence[ServiceContext]) -> list[tuple[Recommendation, ...]]:
    """`recommend` for many services: the sizing rules' grids of every service are screened in
    one pass (engine.rules.planning.plan_many) and their SLA verdicts come from one batched
    SLA-engine call (engine.rules.decide.judge_many). Same values, in order."""
    searched = [_searches(ctx) for ctx in contexts]
    pending = [one for found in searched for one in found if isinstance(one, Planning)]
    planned = iter(plan_many(pending))
    plans = [
        [next(planned) if isinstance(one, Planning) else one for one in found] for found in searched
    ]
    sized = judge_many(list(zip(contexts, plans, strict=True)))
    return [
        (*judged, *(_apply(kind, rule, ctx) for kind, rule in _OTHERS))
        for ctx, judged in zip(contexts, sized, strict=True)
    ]


def _searches(ctx: ServiceContext) -> list[Planning | Recommendation]:
    """Each sizing rule's search on the service's lookback window (or its answer without one)."""
    window = lookback(ctx.usage, ctx.config, ctx.profile)
    stats = window_stats(window, ctx.profile)  # one partition for the three rules
    found = (_search(kind, searcher, ctx, (window, stats)) for kind, searcher in _SIZING)
    return [Planning(ctx, window, one, stats) if isinstance(one, Search) else one for one in found]


def _search(
    kind: RuleName, searcher: Searcher, ctx: ServiceContext, sized: tuple[UsageWindow, WindowStats]
) -> Search | Recommendation:
    try:
        return searcher(ctx, *sized)
    except EngineError as error:
        return cannot_evaluate(kind, ctx, error)


def _apply(kind: RuleName, rule: Rule, ctx: ServiceContext) -> Recommendation:
    try:
        return rule(ctx)
    except EngineError as error:
        return cannot_evaluate(kind, ctx, error)
