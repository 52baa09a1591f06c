"""Idle: a service that has done nothing for 14 days is a decommission candidate."""

from __future__ import annotations

import math
from dataclasses import replace

from engine.context import ServiceContext
from engine.cost import config_cost
from engine.recommendation import Recommendation, Risk
from engine.rules.decide import Search
from engine.rules.explain import explain
from engine.rules.grid import CandidateGrid
from engine.rules.outcome import no_recommendation
from engine.rules.sizing import confidence, to_money
from engine.sla import evaluate
from engine.stats import nan_percentile
from engine.units import HOURS_PER_DAY
from engine.usage import UsageWindow

IDLE_DAYS = 14
IDLE_CPU_P95_UTILIZATION = 0.03  # Azure Advisor: P95 of max CPU < 3 %
IDLE_REQUESTS_P95_PER_S = 0.1
# Decommissioning removes the service: prod owners must confirm nobody calls it.
DECOMMISSION_RISK = {"prod": 2, "staging": 1, "dev": 1}
NO_SLA_VERDICT = "not judged: decommissioning retires the service and its SLA with it"


def idle(ctx: ServiceContext) -> Recommendation:
    """Decommission when, over the last 14 days, the p95 of hourly CPU utilization (p95 cores /
    capacity) is < 3 % and the p95 of requests/s is < 0.1 (Azure Advisor's idle rule, plus ~no
    traffic). Without request metrics (NaN rates) CPU alone decides and the risk is one higher.
    Proposed: 0 replicas, min_replicas 0; savings = the whole compute cost. No SLA verdict: a
    decommission retires the service and its SLA instead of serving traffic with less capacity
    (zero replicas would "fail" every check); the owner confirming nobody calls it is the risk.
    """
    window = _last_days(ctx.usage, IDLE_DAYS)
    if ctx.config.replicas == 0:
        return no_recommendation(
            "idle", ctx, "not_applicable", "no replicas running: nothing to decommission"
        )
    if window.days < IDLE_DAYS or window.points < ctx.profile.min_points:
        return no_recommendation(
            "idle", ctx, "not_enough_data", f"not enough data: {window.days:.1f} of 14 days"
        )
    cpu_p95 = nan_percentile(window.cpu_used_p95_cores / ctx.config.cpu_capacity_cores, 95.0)
    requests_p95 = nan_percentile(window.requests_per_s, 95.0)  # NaN: no request metrics
    if cpu_p95 >= IDLE_CPU_P95_UTILIZATION or requests_p95 >= IDLE_REQUESTS_P95_PER_S:
        reason = f"in use: CPU p95 {100 * cpu_p95:.1f} %, {_requests(requests_p95, decimals=2)}"
        return no_recommendation("idle", ctx, "not_applicable", reason)
    return _decommission(ctx, window, cpu_p95, requests_p95)


def _requests(requests_p95: float, *, decimals: int) -> str:
    if math.isnan(requests_p95):
        return "requests/s not measured (no HTTP metrics): judged on CPU alone"
    return f"requests p95 {requests_p95:.{decimals}f}/s"


def _decommission(
    ctx: ServiceContext, window: UsageWindow, cpu_p95: float, requests_p95: float
) -> Recommendation:
    proposed = replace(ctx.config, replicas=0, min_replicas=0)
    region, catalog = ctx.service.region, ctx.catalog
    requests = _requests(requests_p95, decimals=3)
    why = f"idle 14 days: CPU p95 {100 * cpu_p95:.2f} % (< 3 %), {requests}"
    search = Search("idle", CandidateGrid.single(proposed), restart_needed=True, effort="medium")
    current = evaluate(window, ctx.config, ctx.config, sla=ctx.service.sla, policy=ctx.policy)
    # Unmeasured traffic is one more thing the owner must confirm before the service goes.
    unmeasured = 1 if math.isnan(requests_p95) else 0
    score = min(DECOMMISSION_RISK[ctx.service.environment] + unmeasured, 4)
    return Recommendation(
        kind="idle",
        outcome="recommend",
        reason=f"decommission {ctx.config.describe()}: {why}",
        service_id=ctx.service.id,
        current=ctx.config,
        proposed=proposed,
        cost_current=to_money(config_cost(ctx.config, region=region, catalog=catalog)),
        cost_proposed=to_money(config_cost(proposed, region=region, catalog=catalog)),
        risk=Risk(score, {"decommission": score}),
        confidence=confidence(window, ctx.config.replicas, ctx.profile),
        explanation=explain(ctx, window, search, why=why, current=current).with_facts(
            sla=NO_SLA_VERDICT
        ),
        effort="medium",
        restart_needed=True,
    )


def _last_days(usage: UsageWindow, days: int) -> UsageWindow:
    return usage.rows(slice(max(usage.points - days * HOURS_PER_DAY, 0), usage.points))
