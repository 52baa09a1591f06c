"""What a plan's judged candidates decide: recommend the cheapest passing one, or say why not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine.capacity import CapacityConfig
from engine.context import ServiceContext
from engine.cost import config_cost
from engine.recommendation import (
    RESTORE_SLA,
    Confidence,
    Money,
    Recommendation,
    RecommendationOutcome,
    RuleName,
    worth_making,
)
from engine.rules.explain import WindowFacts, explain
from engine.rules.sizing import risk_of, sla_summary, to_money
from engine.sla import Candidates, CandidateVerdicts, SlaVerdict, latency_floor_ms
from engine.sla.verdict import verdict_at
from engine.usage import UsageWindow

if TYPE_CHECKING:  # decide imports this module: its Plan and Search only type the arguments
    from engine.rules.decide import Plan, Search


@dataclass(frozen=True, slots=True)
class Judged:
    verdicts: CandidateVerdicts
    candidates: Candidates
    now: SlaVerdict  # the current config's verdict (candidate 0)
    band: Confidence  # the same window, replicas and profile for every plan
    cost_now: Money  # the current config's cost, priced once for every plan
    window: WindowFacts  # what every plan's explanation says of the window

    def at(self, index: int, ctx: ServiceContext) -> SlaVerdict:
        """Candidate `index`'s verdict with its reasons, under the service's SLA and policy."""
        return verdict_at(
            self.verdicts, index, self.candidates, sla=ctx.service.sla, policy=ctx.policy
        )


def pick(
    ctx: ServiceContext, window: UsageWindow, plan: Plan, judged: Judged, span: tuple[int, int]
) -> Recommendation:
    """The plan's winner among its first `span[1]` candidates, judged from index `span[0]`
    (all of them, or only the head when it passes: then it is the winner either way)."""
    offset, size = span
    passing = np.flatnonzero(judged.verdicts.passes[offset : offset + size])
    if len(passing) == 0:
        return _none_passes(ctx, plan, judged, offset)
    best = int(passing[np.argmin(plan.costs_usd[passing])])
    return _judge(ctx, window, plan, best, (judged, offset + best))


def _none_passes(ctx: ServiceContext, plan: Plan, judged: Judged, offset: int) -> Recommendation:
    """No shortlisted candidate keeps the SLA: "already_optimal" when the current config does;
    else "sla_unreachable" — with the latency floor when no capacity at all could meet the
    target, else the reasons of the shortlisted candidate with the most CPU."""
    search = plan.search
    searched = search.detail["candidates_searched"]
    if judged.now.passes:
        cheapest = judged.at(offset + int(np.argmin(plan.costs_usd)), ctx)
        why = f"no candidate of {searched} keeps the SLA: {'; '.join(cheapest.reasons)}"
        return no_recommendation(search.kind, ctx, "already_optimal", why)
    target_ms = ctx.service.sla.latency_p95_target_ms
    floor_ms = latency_floor_ms(judged.verdicts, policy=ctx.policy)
    if floor_ms > target_ms:
        why = (
            f"no configuration meets {target_ms:g} ms: latency floor {floor_ms:,.0f} ms (even"
            f" unlimited capacity leaves over {ctx.policy.allowed_breach_pct:g} % of hours"
            f" above {target_ms:g} ms: dependency or code latency, not capacity)"
        )
        return no_recommendation(search.kind, ctx, "sla_unreachable", why)
    best = judged.at(offset + int(np.argmax(search.grid.candidates.cpu_capacity_cores)), ctx)
    why = f"no candidate of {searched} keeps the SLA: {'; '.join(best.reasons)}"
    return no_recommendation(search.kind, ctx, "sla_unreachable", why)


def _judge(
    ctx: ServiceContext,
    window: UsageWindow,
    plan: Plan,
    best: int,
    found: tuple[Judged, int],
) -> Recommendation:
    """The winner (`best` in the plan's shortlist, `found[1]` among the judged), if worth
    offering: when the current config keeps the SLA, a cut that is cheaper and worth making
    (≥ 5 % and ≥ $10/month); when it fails, the winner always — a "restore_sla" when it costs
    as much or more (a cost to pay, not a saving)."""
    judged, search = found[0], plan.search
    now, cost_now = judged.now, judged.cost_now
    proposed = search.grid.config_at(best)
    cost_new = to_money(config_cost(proposed, region=ctx.service.region, catalog=ctx.catalog))
    if now.passes and cost_new.effective_usd >= cost_now.effective_usd:
        reason = f"{ctx.config.describe()} is the cheapest candidate that keeps the SLA"
        return no_recommendation(search.kind, ctx, "already_optimal", reason)
    if now.passes and not worth_making(cost_now, cost_new):
        saved = cost_now.effective_usd - cost_new.effective_usd
        reason = f"saves only ${saved:.2f}/month (< 5 % or < $10): not worth a change"
        return no_recommendation(search.kind, ctx, "no_change_worth_making", reason)
    restores = not now.passes and cost_new.effective_usd >= cost_now.effective_usd
    # The winner's verdict (with its reasons) and the count of cheaper candidates only now: a
    # fifth of the winners stop above, where neither is shown.
    chosen = judged.at(found[1], ctx)
    cheaper_failing = int(np.count_nonzero(plan.all_costs_usd < plan.costs_usd[best]))
    return _propose(
        ctx, window, search, (proposed, cost_new, restores), (judged, chosen, cheaper_failing)
    )


def _propose(
    ctx: ServiceContext,
    window: UsageWindow,
    search: Search,
    proposal: tuple[CapacityConfig, Money, bool],
    found: tuple[Judged, SlaVerdict, int],
) -> Recommendation:
    proposed, cost_new, restores = proposal
    judged, chosen, cheaper_failing = found
    why = (
        f"cheapest of {search.detail['candidates_searched']} candidates that passes the SLA engine"
    )
    if cheaper_failing:
        why += f" ({cheaper_failing} cheaper candidates fail it)"
    if restores:
        increase = cost_new.effective_usd - judged.cost_now.effective_usd
        why += f"; restores the SLA the current config fails, for ${increase:,.2f}/month more"
    change = f"{_describe(ctx.config)} → {_describe(proposed)}"
    return Recommendation(
        kind=RESTORE_SLA if restores else search.kind,
        outcome="recommend",
        reason=f"restore the SLA: {change}" if restores else change,
        service_id=ctx.service.id,
        current=ctx.config,
        proposed=proposed,
        cost_current=judged.cost_now,
        cost_proposed=cost_new,
        risk=risk_of(chosen),
        sla=sla_summary(chosen),
        confidence=judged.band,
        explanation=explain(ctx, window, search, why=why, current=judged.now, known=judged.window),
        effort=search.effort,
        restart_needed=search.restart_needed,
        rule=search.kind if restores else None,
    )


def no_recommendation(
    kind: RuleName, ctx: ServiceContext, outcome: RecommendationOutcome, reason: str
) -> Recommendation:
    """A rule's answer when it proposes nothing: the outcome and why, on the current config."""
    return Recommendation(
        kind=kind, outcome=outcome, reason=reason, service_id=ctx.service.id, current=ctx.config
    )


def _describe(config: CapacityConfig) -> str:
    return f"{config.describe()} in {config.zones} zone{'s' if config.zones > 1 else ''}"
