"""The container_rightsize rule: a workload's containers sized, its pod judged with its replicas
or its HPA by the SLA engine, priced as the allocation prices requests.

Per container the proposal is engine.kube.container_sizing's (KRR `simple`'s floor — p95 CPU,
max memory + 15 % — with the CPU request lifted to the SLA policy's saturation limit). The pod
is their sum. Without an HPA the pod runs at today's replica count, raised (≤ EXTRA_REPLICAS)
until the SLA engine passes it; with one, the pod and the HPA's min/max/target are sized together
(engine.kube.hpa), so the rule never fights the autoscaler. The statistics are per minute, so
the hourly window only has to span the profile's `min_days` for the SLA verdict (not its
`min_points` hours, a sizing percentile's need).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from engine.capacity import CapacityConfig
from engine.context import ServiceContext
from engine.cost import effective_ratio, scheduled_fraction
from engine.explanation import Explanation, FactValue, HistoryWindow
from engine.kube.container_lines import WorkloadSizing, container_facts, hpa_facts
from engine.kube.hpa import (
    NEEDS_CPU_REQUEST,
    Pod,
    choose_plan,
    judge_counts,
    request_prices,
    running_pod,
)
from engine.recommendation import (
    RESTORE_SLA,
    Confidence,
    Money,
    Recommendation,
    RecommendationOutcome,
    RuleName,
    worth_making,
)
from engine.rules.grid import spread_zones
from engine.rules.horizontal import replica_floor
from engine.rules.outcome import no_recommendation
from engine.rules.sizing import lookback, risk_of, sla_summary
from engine.sla import Candidates, SlaVerdict, evaluate_candidates
from engine.sla.verdict import verdict_at
from engine.units import HOURS_PER_MONTH
from engine.usage import UsageWindow

RULE: RuleName = "container_rightsize"
COST_BASIS = (
    "modelled: requests × replicas at the catalog's Kubernetes per-core and per-GiB prices "
    "(OpenCost's default rates where it has none, as the allocation prices them), the config's "
    "pricing mix"
)


@dataclass(frozen=True, slots=True)
class _Sized:
    """What the SLA engine settled on: the proposed config, its verdict and monthly costs."""

    proposed: CapacityConfig
    verdict: SlaVerdict
    now: SlaVerdict  # today's config (with an HPA: today's pod at the count it reaches at peak)
    cost_now: Money
    cost_new: Money
    facts: dict[str, FactValue]


def container_rightsize(ctx: ServiceContext, workload: WorkloadSizing) -> Recommendation:
    """The workload's container requests and limits with its replicas or HPA, if worth it.

    Outcomes: no sized container, or an hourly window shorter than `min_days` →
    "not_enough_data"; no replicas, or an HPA over a pod without a CPU request →
    "not_applicable"; the SLA engine passes no count → "sla_unreachable"; the same pod and
    replicas/HPA → "already_optimal"; a saving under 5 % or $10 → "no_change_worth_making"; a
    proposal that costs more (requests raised to the floor, an HPA max raised for the peak) is a
    "restore_sla" (a cost to pay); else "recommend".
    """
    window = lookback(ctx.usage, ctx.config, ctx.profile)
    gate = _gate(ctx, workload, window)
    if gate is not None:
        return gate
    sized = (
        _with_hpa(ctx, workload, window) if workload.hpa else _with_replicas(ctx, workload, window)
    )
    if isinstance(sized, Recommendation):
        return sized
    return _decide(ctx, workload, window, sized)


def _gate(
    ctx: ServiceContext, workload: WorkloadSizing, window: UsageWindow
) -> Recommendation | None:
    if ctx.config.replicas == 0:
        return _none(ctx, "not_applicable", "no replicas running: nothing to size")
    if not any(c.sized for c in workload.containers):
        why = "not enough data: no container has KRR's 100 CPU samples and both statistics"
        return _none(ctx, "not_enough_data", why)
    if window.days < ctx.profile.min_days:
        why = f"not enough data: {window.days:.1f} of {ctx.profile.min_days:g} days of hourly usage"
        return _none(ctx, "not_enough_data", why)
    if (
        workload.hpa
        and min(running_pod(ctx).cpu_request_cores, workload.pod.cpu_request_cores) <= 0
    ):
        return _none(ctx, "not_applicable", NEEDS_CPU_REQUEST)
    return None


def _with_replicas(
    ctx: ServiceContext, workload: WorkloadSizing, window: UsageWindow
) -> _Sized | Recommendation:
    """The proposed pod at today's count (at least the availability floor), raised until the
    SLA engine passes it; none of EXTRA_REPLICAS more passing is "sla_unreachable"."""
    pod = workload.pod
    availability_pct = ctx.service.sla.availability_target_pct
    start = max(ctx.config.replicas, replica_floor(ctx.config, availability_pct))
    verdict, replicas = judge_counts(ctx, window, pod, start)
    if not verdict.passes:
        why = f"{replicas} × {_pod(pod)} still fails the SLA: {'; '.join(verdict.reasons)}"
        return _none(ctx, "sla_unreachable", why)
    zones = int(spread_zones(ctx.config, np.array([replicas]), availability_pct)[0])
    proposed = _config(ctx.config, pod, replicas=replicas, zones=zones)
    now = judge_config(ctx, window, ctx.config)
    cost_now, cost_new = _monthly(ctx, ctx.config), _monthly(ctx, proposed)
    return _Sized(proposed, verdict, now, cost_now, cost_new, {"replicas": replicas})


def _with_hpa(
    ctx: ServiceContext, workload: WorkloadSizing, window: UsageWindow
) -> _Sized | Recommendation:
    """The pod and the HPA sized together (engine.kube.hpa.choose_plan); costs price the
    replica path the HPA takes hour by hour."""
    assert workload.hpa is not None  # the caller's branch
    plan = choose_plan(ctx, window, workload.hpa, workload.pod)
    if not plan.verdict.passes:
        why = f"{plan.peak_replicas} × {_pod(plan.pod)} at peak still fails the SLA: "
        return _none(ctx, "sla_unreachable", why + "; ".join(plan.verdict.reasons))
    typical = round(plan.mean_replicas)
    replicas = min(max(typical, plan.proposed.min_replicas), plan.proposed.max_replicas)
    zones = spread_zones(ctx.config, np.array([replicas]), ctx.service.sla.availability_target_pct)
    proposed = _config(
        ctx.config, plan.pod, replicas=replicas, zones=int(zones[0]),
        min_replicas=plan.proposed.min_replicas,
    )  # fmt: skip
    mix = effective_ratio(ctx.config, ctx.catalog.discounts)
    peak = workload.hpa.replicas(
        np.array([plan.peak_demand_cores]), plan.current_pod.cpu_request_cores
    )
    return _Sized(
        proposed,
        plan.verdict,
        judge_config(ctx, window, replace(ctx.config, replicas=int(peak[0]))),
        _money(plan.monthly_cost_current_usd, mix),
        _money(plan.monthly_cost_usd, mix),
        {"replicas": replicas, "hpa": hpa_facts(plan), **_kept(workload, plan.pod)},
    )


def _kept(workload: WorkloadSizing, pod: Pod) -> dict[str, FactValue]:
    """When the HPA plan keeps today's pod (cheaper under the HPA: fewer replicas' memory), the
    container table says so: every container's proposal is what it runs now."""
    if pod == workload.pod:
        return {}
    kept = replace(
        workload, containers=tuple(replace(c, proposed=c.current) for c in workload.containers)
    )
    return {"containers": container_facts(kept), "pod_kept": True}


def _decide(
    ctx: ServiceContext, workload: WorkloadSizing, window: UsageWindow, sized: _Sized
) -> Recommendation:
    now, new = sized.cost_now.effective_usd, sized.cost_new.effective_usd
    if _unchanged(ctx, sized):
        return _none(ctx, "already_optimal", "the containers' sizing keeps today's pod")
    if sized.now.passes and new < now and not worth_making(sized.cost_now, sized.cost_new):
        why = f"saves only ${now - new:.2f}/month (< 5 % or < $10): not worth a change"
        return _none(ctx, "no_change_worth_making", why)
    if new >= now and sized.now.passes:
        more = f"${new - now:,.2f}/month"
        why = f"today's requests keep the SLA; the containers' floor would cost {more} more"
        return _none(ctx, "already_optimal", why)
    restores = new >= now
    change = f"{ctx.config.describe()} → {sized.proposed.describe()}"
    if restores:
        change = f"restore the SLA: {change} (+${new - now:,.2f}/month)"
    return Recommendation(
        kind=RESTORE_SLA if restores else RULE,
        outcome="recommend",
        reason=change,
        service_id=ctx.service.id,
        current=ctx.config,
        proposed=sized.proposed,
        cost_current=sized.cost_now,
        cost_proposed=sized.cost_new,
        risk=risk_of(sized.verdict),
        sla=sla_summary(sized.verdict),
        confidence=Confidence(workload.samples, workload.window_hours / 24.0, unit="samples"),
        explanation=_explain(workload, window, sized),
        effort="low",
        restart_needed=True,  # new requests roll the pods
        rule=RULE if restores else None,
    )


def _explain(workload: WorkloadSizing, window: UsageWindow, sized: _Sized) -> Explanation:
    facts: dict[str, FactValue] = {
        "rule": RULE,
        "containers": container_facts(workload),
        "sizing_window_hours": workload.window_hours,
        "cost_basis": COST_BASIS,
        **sized.facts,
    }
    if not sized.now.passes:
        facts["current_fails_sla"] = True
        facts["current_reasons"] = list(sized.now.reasons)
    why = (
        "per container: p95 CPU over the SLA's utilization limit and max memory + 15 % "
        "(KRR simple's floor), the pod judged by the SLA engine"
        + (" with its HPA" if "hpa" in sized.facts else " at its replica count")
    )
    return Explanation(why=why, window=_history(window), facts=tuple(facts.items()))


def judge_config(ctx: ServiceContext, window: UsageWindow, config: CapacityConfig) -> SlaVerdict:
    """The SLA engine's verdict on one config over `window`."""
    candidates = Candidates(
        replicas=np.array([config.replicas]),
        vcpu_per_replica=np.array([config.vcpu_per_replica]),
        memory_gib_per_replica=np.array([config.memory_gib_per_replica]),
        zones=np.array([config.zones]),
    )
    sla, policy = ctx.service.sla, ctx.policy
    verdicts = evaluate_candidates(window, ctx.config, candidates, sla=sla, policy=policy)
    return verdict_at(verdicts, 0, candidates, sla=sla, policy=policy)


def _config(
    base: CapacityConfig, pod: Pod, *, replicas: int, zones: int, min_replicas: int | None = None
) -> CapacityConfig:
    low = min(base.min_replicas, replicas) if min_replicas is None else min_replicas
    return replace(
        base, replicas=replicas, min_replicas=low, zones=zones,
        vcpu_per_replica=pod.cpu_request_cores, memory_gib_per_replica=pod.memory_request_gib,
        cpu_request_cores=pod.cpu_request_cores, memory_request_gib=pod.memory_request_gib,
    )  # fmt: skip


def _unchanged(ctx: ServiceContext, sized: _Sized) -> bool:
    """Today's pod, and today's replicas (no HPA) or HPA (with one: the HPA picks the count)."""
    proposed, hpa = sized.proposed, sized.facts.get("hpa")
    same_pod = (proposed.cpu_request_cores, proposed.memory_request_gib) == (
        ctx.config.cpu_request_cores,
        ctx.config.memory_request_gib,
    )
    if isinstance(hpa, dict):
        return same_pod and not hpa.get("changes")
    return same_pod and proposed.replicas == ctx.config.replicas


def _monthly(ctx: ServiceContext, config: CapacityConfig) -> Money:
    """Monthly list and effective USD: replicas × requests at `request_prices`, the schedule's
    share of the week, the pricing mix (engine.cost.config_cost's rules, the allocation's rates)."""
    usd_per_core_hour, usd_per_gib_hour = request_prices(ctx)
    per_pod = (config.cpu_request_cores or 0.0) * usd_per_core_hour + (
        config.memory_request_gib or 0.0
    ) * usd_per_gib_hour
    list_usd = per_pod * config.replicas * scheduled_fraction(config.schedule) * HOURS_PER_MONTH
    return Money(list_usd, list_usd * effective_ratio(config, ctx.catalog.discounts))


def _money(effective_usd: float, mix: float) -> Money:
    return Money(effective_usd / mix if mix > 0 else effective_usd, effective_usd)


def _history(window: UsageWindow) -> HistoryWindow | None:
    if not window.points:
        return None
    first, last = (hour.astype("datetime64[s]").item() for hour in window.hour_start[[0, -1]])
    return HistoryWindow(first, last)


def _pod(pod: Pod) -> str:
    return f"{round(pod.cpu_request_cores * 1000)}m / {pod.memory_request_gib:.2f} GiB"


def _none(ctx: ServiceContext, outcome: RecommendationOutcome, why: str) -> Recommendation:
    return no_recommendation(RULE, ctx, outcome, why)
