"""Off-hours: non-prod services idle at recurring hours of the week get an on-hours schedule."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from engine.capacity import ALWAYS_ON
from engine.context import ServiceContext
from engine.cost import config_cost
from engine.recommendation import Recommendation, worth_making
from engine.rules.decide import Search
from engine.rules.explain import explain
from engine.rules.grid import CandidateGrid
from engine.rules.outcome import no_recommendation
from engine.rules.sizing import confidence, risk_of, sla_summary, to_money
from engine.sla import evaluate
from engine.stats import nan_percentile
from engine.units import HOURS_PER_DAY, HOURS_PER_WEEK
from engine.usage import UsageWindow

IDLE_CPU_UTILIZATION = 0.05
IDLE_REQUESTS_SHARE = 0.02  # of the window's p95 requests/s
RECURRING_SHARE = 0.90  # idle in ≥ 90 % of the weeks observed
MIN_WEEKS = 2
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday; weekday 0 is Monday
_WEEKDAYS = 5


def off_hours(ctx: ServiceContext) -> Recommendation:
    """Propose "weekdays HH-HH" for a staging/dev service that runs "always".

    An hour is idle when p95 CPU / capacity < 5 % and requests/s ≤ 2 % of the window's p95; an
    hour of the week is recurring-idle when idle in ≥ 90 % of ≥ 2 weeks observed. Only when every
    weekend hour is recurring-idle: the schedule spans the first to the last active weekday hour,
    so it covers every active weekday hour. Dollars from engine.cost.config_cost. Offered only
    when the SLA verdict passes.
    """
    if ctx.service.environment == "prod" or ctx.config.schedule != ALWAYS_ON:
        return no_recommendation(
            "off_hours", ctx, "not_applicable", "only non-prod services running always"
        )
    usage = ctx.usage
    weeks = usage.days / 7
    if weeks < MIN_WEEKS or ctx.config.cpu_capacity_cores <= 0:
        return no_recommendation(
            "off_hours", ctx, "not_enough_data", f"not enough data: {weeks:.1f} of 2 weeks"
        )
    recurring = recurring_idle(usage, ctx.config.cpu_capacity_cores).reshape(7, HOURS_PER_DAY)
    if not recurring[_WEEKDAYS:].all():
        return no_recommendation(
            "off_hours", ctx, "not_applicable", "weekends are not idle: no weekday schedule fits"
        )
    active = np.flatnonzero(~recurring[:_WEEKDAYS].all(axis=0))
    if len(active) == 0:
        return no_recommendation(
            "off_hours", ctx, "not_applicable", "idle all week: see the idle rule"
        )
    schedule = f"weekdays {active[0]:02d}-{active[-1] + 1:02d}"
    return _propose(ctx, schedule, int(np.sum(recurring)))


def recurring_idle(usage: UsageWindow, capacity_cores: float) -> np.ndarray:
    """168 booleans (Monday 00h first): is that hour of the week idle in ≥ 90 % of weeks?"""
    hours = usage.hour_start.astype("datetime64[h]").astype(np.int64)
    days = hours // HOURS_PER_DAY
    hour_of_week = ((days + _EPOCH_WEEKDAY) % 7) * HOURS_PER_DAY + hours % HOURS_PER_DAY
    requests_p95 = nan_percentile(usage.requests_per_s, 95.0)
    idle = usage.cpu_used_p95_cores / capacity_cores < IDLE_CPU_UTILIZATION
    if not np.isnan(requests_p95):  # without request metrics, CPU alone says "idle"
        idle &= usage.requests_per_s <= IDLE_REQUESTS_SHARE * requests_p95
    seen = np.bincount(hour_of_week, minlength=HOURS_PER_WEEK)
    idle_weeks = np.bincount(hour_of_week, weights=idle, minlength=HOURS_PER_WEEK)
    flags: np.ndarray = (seen >= MIN_WEEKS) & (idle_weeks >= RECURRING_SHARE * seen)
    return flags


def _propose(ctx: ServiceContext, schedule: str, idle_hours: int) -> Recommendation:
    proposed = replace(ctx.config, schedule=schedule)
    region, catalog = ctx.service.region, ctx.catalog
    cost_now = to_money(config_cost(ctx.config, region=region, catalog=catalog))
    cost_new = to_money(config_cost(proposed, region=region, catalog=catalog))
    if not worth_making(cost_now, cost_new):
        return no_recommendation(
            "off_hours", ctx, "no_change_worth_making", f"{schedule} saves < 5 % or < $10/month"
        )
    verdict = evaluate(ctx.usage, ctx.config, proposed, sla=ctx.service.sla, policy=ctx.policy)
    if not verdict.passes:  # a schedule is no fix: the service must keep its SLA first
        reason = f"{schedule} would save, but the SLA is not kept: {'; '.join(verdict.reasons)}"
        return no_recommendation("off_hours", ctx, "not_applicable", reason)
    why = f"{idle_hours} of 168 hours of the week idle in ≥ 90 % of weeks, weekends included"
    search = Search("off_hours", CandidateGrid.single(proposed), restart_needed=True, effort="low")
    return Recommendation(
        kind="off_hours",
        outcome="recommend",
        reason=f"run {schedule} UTC instead of always",
        service_id=ctx.service.id,
        current=ctx.config,
        proposed=proposed,
        cost_current=cost_now,
        cost_proposed=cost_new,
        risk=risk_of(verdict),
        sla=sla_summary(verdict),
        confidence=confidence(ctx.usage, ctx.config.replicas, ctx.profile),
        explanation=explain(ctx, ctx.usage, search, why=why, current=verdict),
        effort="low",
        restart_needed=True,
    )
