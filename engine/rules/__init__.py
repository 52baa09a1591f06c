"""Recommendation rules: one explicit tuple, each a pure function of a ServiceContext."""

from __future__ import annotations

from collections.abc import Callable

from engine.context import ServiceContext
from engine.errors import EngineError
from engine.recommendation import Recommendation, RecommendationKind
from engine.rules.commitment import recommend_commitment
from engine.rules.decide import Plan, judge
from engine.rules.horizontal import horizontal, plan_horizontal
from engine.rules.idle import idle
from engine.rules.joint import joint, plan_joint
from engine.rules.off_hours import off_hours
from engine.rules.rightsize import plan_rightsize, rightsize
from engine.rules.sizing import lookback
from engine.usage import UsageWindow

__all__ = ["RULES", "Rule", "recommend", "recommend_commitment"]

Rule = Callable[[ServiceContext], Recommendation]
Planner = Callable[[ServiceContext, UsageWindow], Plan | Recommendation]
RULES: tuple[Rule, ...] = (rightsize, horizontal, joint, idle, off_hours)
# The sizing rules of RULES as planners: recommend() judges their shortlists together.
_SIZING: tuple[tuple[RecommendationKind, Planner], ...] = (
    ("rightsize", plan_rightsize),
    ("horizontal", plan_horizontal),
    ("joint", plan_joint),
)
_OTHERS: tuple[tuple[RecommendationKind, Rule], ...] = (("idle", idle), ("off_hours", off_hours))


def recommend(ctx: ServiceContext) -> tuple[Recommendation, ...]:
    """One Recommendation per rule in RULES, in order — the same values as calling each rule.

    The sizing rules share one lookback window and one SLA-engine call for their shortlists
    (engine.rules.decide.judge) instead of one each. An EngineError (say, a type the catalog
    does not price in the region) becomes that rule's "not_applicable" value, never a raise.
    """
    window = lookback(ctx.usage, ctx.config, ctx.profile)
    plans = [_plan(kind, planner, ctx, window) for kind, planner in _SIZING]
    try:
        sized = judge(ctx, plans)
    except EngineError as error:
        sized = [_failed(p.search.kind, ctx, error) if isinstance(p, Plan) else p for p in plans]
    return (*sized, *(_apply(kind, rule, ctx) for kind, rule in _OTHERS))


def _plan(
    kind: RecommendationKind, planner: Planner, ctx: ServiceContext, window: UsageWindow
) -> Plan | Recommendation:
    try:
        return planner(ctx, window)
    except EngineError as error:
        return _failed(kind, ctx, error)


def _apply(kind: RecommendationKind, rule: Rule, ctx: ServiceContext) -> Recommendation:
    try:
        return rule(ctx)
    except EngineError as error:
        return _failed(kind, ctx, error)


def _failed(kind: RecommendationKind, ctx: ServiceContext, error: EngineError) -> Recommendation:
    return Recommendation(
        kind=kind,
        outcome="not_applicable",
        reason=f"cannot evaluate: {error}",
        service_id=ctx.service.id,
        current=ctx.config,
    )
