"""How a sizing rule picks: screen candidates, judge the shortlist with the SLA engine, explain."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.capacity import CapacityConfig
from engine.context import ServiceContext
from engine.cost import (
    config_cost,
)
from engine.recommendation import (
    Outcome,
    Recommendation,
    RecommendationKind,
    worth_making,
)
from engine.rules.sizing import (
    Effort,
    confidence,
    data_shortfall,
    monthly_effective_usd,
    risk_of,
    sla_summary,
    to_money,
)
from engine.sla import Candidates, SlaVerdict, cpu_seconds_per_request, evaluate_candidates
from engine.sla_verdict import verdict_at
from engine.usage import FloatArray, UsageWindow

SHORTLIST = 6  # candidates that get the full (queueing) verdict
UNCALIBRATED = (
    "not modelled: CPU-seconds per request × ln 20 exceeds the median observed p95, so the M/M/c"
    " model cannot describe this service; latency left unchecked"
)


@dataclass(frozen=True, slots=True)
class Search:
    """A rule's bounded candidate list and what applying the winner involves."""

    kind: RecommendationKind
    configs: tuple[CapacityConfig, ...]
    restart_needed: bool
    effort: Effort
    detail: dict[str, Any] = field(default_factory=dict)


def no_data(
    kind: RecommendationKind, ctx: ServiceContext, window: UsageWindow
) -> Recommendation | None:
    """A "not_enough_data" (or "not_applicable" without replicas) result, None when sizable."""
    if ctx.config.replicas == 0:
        return _result(kind, ctx, "not_applicable", "no replicas running: nothing to size")
    shortfall = data_shortfall(window, ctx.profile)
    return None if shortfall is None else _result(kind, ctx, "not_enough_data", shortfall)


def decide(ctx: ServiceContext, window: UsageWindow, search: Search) -> Recommendation:
    """The cheapest candidate the SLA engine passes.

    Judging: one evaluate_candidates call over all candidates without the latency model
    (saturation, error risk, memory, availability, N+1 peak — no queueing maths) screens them;
    the SHORTLIST cheapest survivors, with the current config as candidate 0, then get the full
    verdict (M/M/c latency included) in one more call.
    Rules: when the current config passes, a winner must be cheaper and worth making (≥ 5 % and
    ≥ $10/month), else "already_optimal" / "no_change_worth_making"; when it fails, the cheapest
    passing candidate is recommended even if it costs more (a scale-up) and the current risk is
    stated. Nothing passing → "already_optimal" (current passes) or "not_applicable".
    """
    if not search.configs:
        return _result(search.kind, ctx, "already_optimal", "no candidate fits the usage")
    if _latency_uncalibrated(window, cpu_seconds_per_request(window)):
        window = _without_latency(window)
        search = replace(search, detail={**search.detail, "latency_model": UNCALIBRATED})
    costs = monthly_effective_usd(search.configs, region=ctx.service.region, catalog=ctx.catalog)
    keep = _shortlist(ctx, window, search.configs, costs)
    searched = len(search.configs)
    search = replace(
        search,
        configs=tuple(search.configs[i] for i in keep),
        detail={**search.detail, "candidates_searched": searched},
    )
    return _pick(ctx, window, search, (costs[keep], costs))


def _shortlist(
    ctx: ServiceContext,
    window: UsageWindow,
    configs: tuple[CapacityConfig, ...],
    costs: FloatArray,
) -> npt.NDArray[np.intp]:
    """Indices of the SHORTLIST cheapest configs that pass the latency-free screen (the cheapest
    overall when none survives, so the reasons can be shown)."""
    order = np.argsort(costs, kind="stable")
    screen = evaluate_candidates(
        _without_latency(window),
        ctx.config,
        Candidates.of(*configs),
        sla=ctx.service.sla,
        policy=ctx.policy,
    )
    survivors = order[screen.sizing_ok[order]]
    return (survivors if len(survivors) else order)[:SHORTLIST]


def _pick(
    ctx: ServiceContext,
    window: UsageWindow,
    search: Search,
    shortlist_and_all_costs: tuple[FloatArray, FloatArray],
) -> Recommendation:
    costs, all_costs = shortlist_and_all_costs
    candidates = Candidates.of(ctx.config, *search.configs)
    sla, policy = ctx.service.sla, ctx.policy
    verdicts = evaluate_candidates(window, ctx.config, candidates, sla=sla, policy=policy)
    passing = np.flatnonzero(verdicts.sizing_ok[1:])
    now = verdict_at(verdicts, 0, candidates, sla=sla, policy=policy)
    searched = search.detail["candidates_searched"]
    if len(passing) == 0:
        first = int(np.argmin(costs)) + 1
        cheapest = verdict_at(verdicts, first, candidates, sla=sla, policy=policy)
        outcome: Outcome = "already_optimal" if now.sizing_ok else "not_applicable"
        why = f"no candidate of {searched} keeps the SLA: {'; '.join(cheapest.reasons)}"
        return _result(search.kind, ctx, outcome, why)
    best = int(passing[np.argmin(costs[passing])])
    chosen = verdict_at(verdicts, best + 1, candidates, sla=sla, policy=policy)
    cheaper_failing = int(np.sum(all_costs < costs[best]))
    return _judge(ctx, window, search, best, (now, chosen, cheaper_failing))


def _judge(
    ctx: ServiceContext,
    window: UsageWindow,
    search: Search,
    best: int,
    found: tuple[SlaVerdict, SlaVerdict, int],
) -> Recommendation:
    now, chosen, cheaper_failing = found
    proposed = search.configs[best]
    cost_now = to_money(config_cost(ctx.config, region=ctx.service.region, catalog=ctx.catalog))
    cost_new = to_money(config_cost(proposed, region=ctx.service.region, catalog=ctx.catalog))
    if now.sizing_ok and cost_new.effective_usd >= cost_now.effective_usd:
        reason = f"{ctx.config.describe()} is the cheapest candidate that keeps the SLA"
        return _result(search.kind, ctx, "already_optimal", reason)
    if now.sizing_ok and not worth_making(cost_now, cost_new):
        saved = cost_now.effective_usd - cost_new.effective_usd
        reason = f"saves only ${saved:.2f}/month (< 5 % or < $10): not worth a change"
        return _result(search.kind, ctx, "no_change_worth_making", reason)
    why = (
        f"cheapest of {search.detail['candidates_searched']} candidates that passes the SLA engine"
    )
    if cheaper_failing:
        why += f" ({cheaper_failing} cheaper candidates fail it)"
    explanation = explain(ctx, window, search, why=why, current=now)
    return Recommendation(
        kind=search.kind,
        outcome="recommend",
        reason=f"{_describe(ctx.config)} → {_describe(proposed)}",
        service_id=ctx.service.id,
        current=ctx.config,
        proposed=proposed,
        cost_current=cost_now,
        cost_proposed=cost_new,
        risk=risk_of(chosen),
        sla=sla_summary(chosen),
        confidence=confidence(window, ctx.config.replicas, ctx.profile),
        explanation=explanation,
        effort=search.effort,
        restart_needed=search.restart_needed,
    )


def explain(
    ctx: ServiceContext, window: UsageWindow, search: Search, *, why: str, current: SlaVerdict
) -> dict[str, Any]:
    """The explanation every recommendation carries: rule, profile, window, why it won."""
    explanation: dict[str, Any] = {
        "rule": search.kind,
        "profile": ctx.profile.name,
        "cpu_percentile": ctx.profile.cpu_percentile,
        "cpu_headroom_pct": ctx.profile.cpu_headroom_pct,
        "memory_headroom_pct": ctx.profile.memory_headroom_pct,
        "window_start": str(window.hour_start[0]) if window.points else None,
        "window_end": str(window.hour_start[-1]) if window.points else None,
        "data_points": int(np.count_nonzero(np.isfinite(window.cpu_used_p95_cores))),
        "candidates_judged": len(search.configs),  # full SLA verdict (the shortlist)
        "why": why,
        **search.detail,
    }
    if not current.sizing_ok:
        explanation["current_fails_sla"] = True
        explanation["current_risk"] = f"{current.risk_score} ({current.risk_label})"
        explanation["current_reasons"] = list(current.reasons)
    return explanation


def _result(
    kind: RecommendationKind, ctx: ServiceContext, outcome: Outcome, reason: str
) -> Recommendation:
    return Recommendation(
        kind=kind, outcome=outcome, reason=reason, service_id=ctx.service.id, current=ctx.config
    )


def _latency_uncalibrated(window: UsageWindow, service_s: float) -> bool:
    """The M/M/c service time alone (p95 = s × ln 20) exceeds the median observed p95 latency:
    the model cannot describe this service (CPU is not per-request work), so it is not used."""
    observed = window.latency_p95_ms[np.isfinite(window.latency_p95_ms)]
    if len(observed) == 0 or not np.isfinite(service_s):
        return False
    return bool(1000.0 * service_s * math.log(20.0) > np.median(observed))


def _without_latency(window: UsageWindow) -> UsageWindow:
    return replace(window, latency_p95_ms=np.full(window.points, np.nan))


def _describe(config: CapacityConfig) -> str:
    return f"{config.describe()} in {config.zones} zone{'s' if config.zones > 1 else ''}"
