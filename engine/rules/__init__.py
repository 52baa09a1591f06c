"""Recommendation rules: one explicit tuple, each a pure function of a ServiceContext."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engine.context import ServiceContext
from engine.errors import EngineError
from engine.recommendation import Recommendation, RuleName
from engine.rules.commitment import recommend_commitment
from engine.rules.decide import Plan, cannot_evaluate, judge_many
from engine.rules.horizontal import horizontal, plan_horizontal
from engine.rules.idle import idle
from engine.rules.joint import joint, plan_joint
from engine.rules.off_hours import off_hours
from engine.rules.offer import offer
from engine.rules.rightsize import plan_rightsize, rightsize
from engine.rules.sizing import lookback
from engine.rules.window_stats import WindowStats, window_stats
from engine.usage import UsageWindow

__all__ = ["RULES", "Rule", "offer", "recommend", "recommend_commitment", "recommend_many"]

Rule = Callable[[ServiceContext], Recommendation]
Planner = Callable[[ServiceContext, UsageWindow, WindowStats], Plan | Recommendation]
RULES: tuple[Rule, ...] = (rightsize, horizontal, joint, idle, off_hours)
# The sizing rules of RULES as planners: recommend() judges their shortlists together.
_SIZING: tuple[tuple[RuleName, Planner], ...] = (
    ("rightsize", plan_rightsize),
    ("horizontal", plan_horizontal),
    ("joint", plan_joint),
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
    """`recommend` for many services: the sizing rules' SLA verdicts of every service come from
    one batched SLA-engine call (engine.rules.decide.judge_many). Same values, in order."""
    planned = [(ctx, _sizing_plans(ctx)) for ctx in contexts]
    sized = judge_many(planned)
    return [
        (*judged, *(_apply(kind, rule, ctx) for kind, rule in _OTHERS))
        for (ctx, plans), judged in zip(planned, sized, strict=True)
    ]


def _sizing_plans(ctx: ServiceContext) -> list[Plan | Recommendation]:
    window = lookback(ctx.usage, ctx.config, ctx.profile)
    stats = window_stats(window, ctx.profile)  # one partition for the three rules
    return [_plan(kind, planner, ctx, (window, stats)) for kind, planner in _SIZING]


def _plan(
    kind: RuleName, planner: Planner, ctx: ServiceContext, sized: tuple[UsageWindow, WindowStats]
) -> Plan | Recommendation:
    try:
        return planner(ctx, *sized)
    except EngineError as error:
        return cannot_evaluate(kind, ctx, error)


def _apply(kind: RuleName, rule: Rule, ctx: ServiceContext) -> Recommendation:
    try:
        return rule(ctx)
    except EngineError as error:
        return cannot_evaluate(kind, ctx, error)
