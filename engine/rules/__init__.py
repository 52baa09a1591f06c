"""Recommendation rules: one explicit tuple, each a pure function of a ServiceContext."""

from __future__ import annotations

from collections.abc import Callable

from engine.context import ServiceContext
from engine.errors import EngineError
from engine.recommendation import Recommendation, RecommendationKind
from engine.rules.commitment import recommend_commitment
from engine.rules.horizontal import horizontal
from engine.rules.idle import idle
from engine.rules.joint import joint
from engine.rules.off_hours import off_hours
from engine.rules.rightsize import rightsize

__all__ = ["RULES", "Rule", "recommend", "recommend_commitment"]

Rule = Callable[[ServiceContext], Recommendation]
RULES: tuple[Rule, ...] = (rightsize, horizontal, joint, idle, off_hours)
_KINDS: tuple[RecommendationKind, ...] = ("rightsize", "horizontal", "joint", "idle", "off_hours")


def recommend(ctx: ServiceContext) -> tuple[Recommendation, ...]:
    """One Recommendation per rule in RULES, in order; an EngineError (say, a type the catalog
    does not price in the region) becomes that rule's "not_applicable" value, never a raise."""
    return tuple(_apply(rule, kind, ctx) for rule, kind in zip(RULES, _KINDS, strict=True))


def _apply(rule: Rule, kind: RecommendationKind, ctx: ServiceContext) -> Recommendation:
    try:
        return rule(ctx)
    except EngineError as error:
        return Recommendation(
            kind=kind,
            outcome="not_applicable",
            reason=f"cannot evaluate: {error}",
            service_id=ctx.service.id,
            current=ctx.config,
        )
