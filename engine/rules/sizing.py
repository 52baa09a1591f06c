"""Shared sizing maths of the rules: lookback, data sufficiency, needs, rounding, band, money.

Confidence follows VPA (recommender-reference B.2) on hourly data: VPA's
confidence = min(days, samples / (60 × 24)) counts one sample a minute; our samples are hourly, so
confidence = min(days, points / 24), which is N for N full days of hourly points. The band is
lower = p50 × factor × (1 + 0.001/confidence)^-2 and upper = p95 × factor × (1 + 1/confidence),
where factor is the profile's CPU factor (VPA's 1.15 safety margin under `balanced`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from engine.capacity import CapacityConfig
from engine.catalog import Catalog, InstanceSpec
from engine.context import ServiceContext
from engine.cost import (
    ConfigCost,
    config_cost,
    effective_ratio,
    running_mask,
    scheduled_fraction,
)
from engine.profiles import SizingProfile
from engine.recommendation import (
    Confidence,
    Money,
    Outcome,
    Recommendation,
    RecommendationKind,
    Risk,
    SlaSummary,
    worth_making,
)
from engine.sla import Candidates, SlaVerdict, cpu_seconds_per_request, evaluate_candidates
from engine.sla_verdict import verdict_at
from engine.units import HOURS_PER_DAY, HOURS_PER_MONTH, MIB_PER_GIB
from engine.usage import FloatArray, UsageWindow

MILLICORES_PER_CORE = 1000
SHORTLIST = 6  # candidates that get the full (queueing) verdict
Effort = Literal["very low", "low", "medium", "high"]
UNCALIBRATED = (
    "not modelled: CPU-seconds per request × ln 20 exceeds the median observed p95, so the M/M/c"
    " model cannot describe this service; latency left unchecked"
)


@dataclass(frozen=True, slots=True)
class Needs:
    """Per-replica need at the current replica count: CPU (profile percentile) and memory (max)."""

    cpu_cores: float
    memory_gib: float
    cpu_percentile_cores: float  # before the headroom factor
    memory_max_gib: float  # before the headroom factor


def lookback(usage: UsageWindow, config: CapacityConfig, profile: SizingProfile) -> UsageWindow:
    """The last `profile.lookback_days` of the window; off-schedule hours become NaN (missing)."""
    if usage.points == 0:
        return usage
    first = usage.hour_start[-1] - np.timedelta64(profile.lookback_days * HOURS_PER_DAY - 1, "h")
    keep = usage.hour_start >= first
    off = ~running_mask(config.schedule, usage.hour_start[keep])

    def cut(values: FloatArray, blank_off: bool = True) -> FloatArray:
        kept = values[keep]
        return np.where(off, np.nan, kept) if blank_off else kept

    return UsageWindow(
        service_id=usage.service_id,
        hour_start=usage.hour_start[keep],
        cpu_used_mean_cores=cut(usage.cpu_used_mean_cores),
        cpu_used_p95_cores=cut(usage.cpu_used_p95_cores),
        memory_used_max_gib=cut(usage.memory_used_max_gib),
        requests_per_s=cut(usage.requests_per_s),
        latency_p95_ms=cut(usage.latency_p95_ms),
        error_rate_pct=cut(usage.error_rate_pct),
    )


def data_shortfall(usage: UsageWindow, profile: SizingProfile) -> str | None:
    """Why the window cannot be sized: fewer than min_points CPU samples or min_days span."""
    points = int(np.count_nonzero(np.isfinite(usage.cpu_used_p95_cores)))
    if points < profile.min_points:
        return f"not enough data: {points} of {profile.min_points} points"
    if usage.days < profile.min_days:
        return f"not enough data: {usage.days:.1f} of {profile.min_days:g} days"
    return None


def needs(
    usage: UsageWindow, replicas: int, profile: SizingProfile, *, no_memory_gib: float = 0.0
) -> Needs:
    """Per replica: CPU = percentile(p95 cores / replicas, profile pct) × cpu_factor;
    memory = max(GiB / replicas) × memory_factor. NaN hours are ignored; without any memory
    sample the memory max is `no_memory_gib` (callers pass the current size: never shrink blind).
    """
    per_replica = max(replicas, 1)
    cpu = float(np.nanpercentile(usage.cpu_used_p95_cores / per_replica, profile.cpu_percentile))
    known = np.isfinite(usage.memory_used_max_gib)
    memory = float(np.max(usage.memory_used_max_gib[known])) / per_replica if known.any() else 0.0
    memory = memory if known.any() else no_memory_gib / profile.memory_factor
    return Needs(cpu * profile.cpu_factor, memory * profile.memory_factor, cpu, memory)


def round_cpu_cores(cores: float, floor_cores: float) -> float:
    """Round up to a whole millicore (VPA's --round-cpu-millicores 1), then apply the floor."""
    millicores = math.ceil(round(cores * MILLICORES_PER_CORE, 6))
    return max(millicores / MILLICORES_PER_CORE, floor_cores)


def round_memory_gib(gib: float, floor_gib: float) -> float:
    """Round up to a whole MiB, then apply the floor."""
    mib = math.ceil(round(gib * MIB_PER_GIB, 6))
    return max(mib / MIB_PER_GIB, floor_gib)


def confidence(usage: UsageWindow, replicas: int, profile: SizingProfile) -> Confidence:
    """Points, days and the VPA-style CPU band per replica (module docstring)."""
    points = int(np.count_nonzero(np.isfinite(usage.cpu_used_p95_cores)))
    days = usage.days
    level = min(days, points / HOURS_PER_DAY)
    if level <= 0:
        return Confidence(points, days, unit="cores per replica")
    cpu = usage.cpu_used_p95_cores / max(replicas, 1)
    p50, p95 = (float(np.nanpercentile(cpu, q)) for q in (50.0, 95.0))
    lower = p50 * profile.cpu_factor * (1.0 + 0.001 / level) ** -2
    upper = p95 * profile.cpu_factor * (1.0 + 1.0 / level)
    return Confidence(points, days, lower, upper, unit="cores per replica")


def to_money(cost: ConfigCost) -> Money:
    """Monthly (730 h) list and effective USD of an hourly cost."""
    return Money(cost.monthly_list_usd, cost.monthly_effective_usd)


def risk_of(verdict: SlaVerdict) -> Risk:
    """Risk 0–4 and sub-scores straight from the SLA verdict."""
    return Risk(verdict.risk_score, dict(verdict.sub_scores))


def sla_summary(verdict: SlaVerdict) -> SlaSummary:
    """The reviewer's reduction of an SLA verdict."""
    return SlaSummary(
        passes=verdict.passes,
        projected_p95_ms=verdict.p95_of_projected_latency_ms,
        hours_within_target_pct=verdict.hours_within_target_pct,
        peak_utilization=verdict.peak_utilization,
        n_plus_one_ok=verdict.n_plus_one_ok,
        availability_ok=verdict.availability_ok,
        reasons=verdict.reasons,
    )


def with_type(config: CapacityConfig, spec: InstanceSpec, replicas: int) -> CapacityConfig:
    """The config on another instance type and replica count, pricing mix kept."""
    return replace(
        config,
        instance_type=spec.name,
        vcpu_per_replica=spec.vcpu,
        memory_gib_per_replica=spec.memory_gib,
        replicas=replicas,
    )


def with_requests(
    config: CapacityConfig, cpu_cores: float, memory_gib: float, replicas: int
) -> CapacityConfig:
    """The pod config with new requests and replica count, pricing mix kept."""
    return replace(
        config,
        cpu_request_cores=cpu_cores,
        memory_request_gib=memory_gib,
        vcpu_per_replica=cpu_cores,
        memory_gib_per_replica=memory_gib,
        replicas=replicas,
    )


def monthly_effective_usd(
    configs: tuple[CapacityConfig, ...], *, region: str, catalog: Catalog
) -> FloatArray:
    """Effective monthly USD of many configs at once (the rules of engine.cost.config_cost)."""
    replicas = np.array([c.replicas for c in configs], dtype=np.float64)
    if configs and configs[0].platform == "vm":
        names = np.array([c.instance_type or "" for c in configs])
        per_replica = catalog.on_demand_usd_per_hour(names, region)
    else:
        cpu_usd, memory_usd = catalog.k8s_usd_per_hour(region)
        cpu = np.array([c.cpu_request_cores or 0.0 for c in configs])
        memory = np.array([c.memory_request_gib or 0.0 for c in configs])
        per_replica = cpu * cpu_usd + memory * memory_usd
    ratio = np.array([effective_ratio(c, catalog.discounts) for c in configs])
    fraction = np.array([scheduled_fraction(c.schedule) for c in configs])
    monthly: FloatArray = per_replica * replicas * ratio * fraction * HOURS_PER_MONTH
    return monthly


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
