"""One rule for what is offered: a proposal keeps its SLA verdict, one config is offered once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from engine.capacity import CapacityConfig
from engine.recommendation import Recommendation, RecommendationOutcome

# Fewer moving parts first when rules agree on a config (a replica count alone is "very low").
_EFFORT_RANK = {"very low": 0, "low": 1, "medium": 2, "high": 3}


def offer(results: Sequence[Recommendation]) -> tuple[Recommendation, ...]:
    """The rule results of one service (or scope) as offered: one value per rule, in order.

    Rules: a proposal whose own SLA verdict fails is not offered ("not_applicable", saying
    why). Proposals of the same config on the same target are offered once: the best
    risk-adjusted savings wins, then the least effort, then no restart, then rule order; it
    names every rule that agreed (`explanation.agreeing_rules`) and the others become
    "merged", naming it.
    """
    checked = [_checked(rec) for rec in results]
    same: defaultdict[tuple[int | str, CapacityConfig | None], list[int]] = defaultdict(list)
    for index, rec in enumerate(checked):
        if rec.outcome == "recommend":
            same[(rec.target, rec.proposed)].append(index)
    for indices in same.values():
        if len(indices) > 1:
            _merge(checked, indices)
    return tuple(checked)


def _checked(rec: Recommendation) -> Recommendation:
    if rec.outcome != "recommend" or rec.offerable:
        return rec
    reasons = "; ".join(rec.sla.reasons) if rec.sla is not None else ""
    why = f"not offered: the proposed config does not keep the SLA ({reasons})"
    return _answer(rec, "not_applicable", why)


def _merge(checked: list[Recommendation], indices: list[int]) -> None:
    """Keep the best of `indices` (in place) with the rules that agreed; the rest are merged."""
    best = min(indices, key=lambda i: _preference(checked[i], i))
    kept = checked[best]
    agreeing = [checked[i].rule_name for i in indices]
    explanation = replace(kept.explanation, agreeing_rules=tuple(agreeing))
    checked[best] = replace(kept, explanation=explanation)
    for index in indices:
        if index != best:
            why = f"same change as the {kept.rule_name} rule's, offered once: {kept.reason}"
            checked[index] = _answer(checked[index], "merged", why)


def _answer(rec: Recommendation, outcome: RecommendationOutcome, reason: str) -> Recommendation:
    """The rule's answer without a proposal (as engine.rules.outcome.no_recommendation)."""
    return Recommendation(
        kind=rec.rule_name,
        outcome=outcome,
        reason=reason,
        service_id=rec.service_id,
        scope=rec.scope,
        current=rec.current,
    )


def _preference(rec: Recommendation, index: int) -> tuple[float, int, bool, int]:
    return (-rec.risk_adjusted_savings_usd, _EFFORT_RANK[rec.effort], rec.restart_needed, index)
