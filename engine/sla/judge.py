"""Judging candidates: would a capacity config have kept the SLA over the usage history?

Rules as in docs product.md "SLA engine": latency from the calibrated M/M/c projection
(engine/sla/latency.py), saturation and error risk from hourly CPU, memory, availability and N+1;
risk 0–4 from engine/risk.py. Every candidate is judged over the whole window at once,
vectorized over candidates × hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine import risk
from engine.arrays import BoolArray, FloatArray, IntArray
from engine.capacity import CapacityConfig
from engine.errors import InsufficientData
from engine.risk import RiskScores
from engine.service import Sla
from engine.sla.candidates import Candidates, CandidateVerdicts
from engine.sla.hours import HoursRequest, HoursResult, hours_many
from engine.sla.latency import HourlyShare, ProjectedLatency
from engine.sla.policy import (
    REDUNDANT_AVAILABILITY_PCT,
    SlaPolicy,
    replicas_needed,
)
from engine.sla.utilization import ratio, saturated_counts, saturated_hours
from engine.sla.verdict import SlaVerdict, verdict_at
from engine.usage import UsageWindow


@dataclass(frozen=True, slots=True)
class Judgement:
    """One service's candidates to judge, with its window, current config and rules."""

    usage: UsageWindow
    current: CapacityConfig
    candidates: Candidates
    sla: Sla
    policy: SlaPolicy
    demand_scale: float | FloatArray = 1.0
    # False: the verdicts without their hourly arrays (projected latency and utilization come
    # back candidates × 0) — all a fleet recompute keeps; the per-hour work then shrinks to
    # the hours that decide the shares (engine/sla/summary.py), with the same values.
    hourly: bool = True


def evaluate_candidates(
    usage: UsageWindow,
    current: CapacityConfig,
    candidates: Candidates,
    *,
    sla: Sla,
    policy: SlaPolicy,
    demand_scale: float | FloatArray = 1.0,
) -> CandidateVerdicts:
    """Judge every candidate over the usage window against the SLA (see CandidateVerdicts).

    Rules: latency — projected p95 ≤ target in ≥ latency_hours_pct of hours (skipped, and
    passing, without traffic or latency observations); saturation — peak utilization (hourly
    p95 CPU / capacity) ≤ limit, no CPU samples fail; error risk — utilization ≥ 0.95 in any hour;
    memory — peak memory ≤ capacity, no samples pass unchecked; availability — ≥ 2 replicas in
    ≥ 2 zones from 99.9 %, ≥ 3 from 99.99 %; N+1 (required from 99.9 %) — one replica lost
    leaves ≥ 1 replica, peak utilization < 1 and p95 ≤ target × 1.5 in ≥ latency_hours_pct of
    hours. `demand_scale` (scalar or per hour) multiplies λ and CPU, not memory.
    """
    judgement = Judgement(usage, current, candidates, sla, policy, demand_scale)
    return evaluate_many([judgement])[0]


def evaluate_many(judgements: Sequence[Judgement]) -> list[CandidateVerdicts]:
    """evaluate_candidates for many services, in order, with their per-hour work batched
    (engine/sla/hours.py): the same values, at a fraction of the cost per service."""
    requests = [_hours_request(j) for j in judgements]
    hours = hours_many(requests)
    return [_judged(j, h) for j, h in zip(judgements, hours, strict=True)]


def _hours_request(judgement: Judgement) -> HoursRequest:
    usage, candidates = judgement.usage, judgement.candidates
    if usage.points == 0:
        raise InsufficientData("the usage window has no hours to evaluate")
    scale = np.broadcast_to(np.asarray(judgement.demand_scale, dtype=np.float64), (usage.points,))
    if not np.all(scale >= 0):
        raise ValueError("demand_scale must be >= 0")
    target_ms = judgement.sla.latency_p95_target_ms
    n1_target_ms = target_ms * judgement.policy.n_plus_one_latency_factor
    n = len(candidates)
    return HoursRequest(
        usage=usage,
        current_servers=judgement.current.cpu_capacity_cores,
        servers=np.concatenate(
            [candidates.cpu_capacity_cores, candidates.n_plus_one_cpu_capacity_cores]
        ),
        target_ms=np.concatenate([np.full(n, target_ms), np.full(n, n1_target_ms)]),
        demand_scale=scale,
        hourly=judgement.hourly,
    )


def _judged(judgement: Judgement, hours: HoursResult) -> CandidateVerdicts:
    candidates, n = judgement.candidates, len(judgement.candidates)
    share = hours.share
    checks = _Checks(
        latency=hours.latency,
        latency_share=HourlyShare(share.within_pct[:n], share.breach_hours[:n], share.p95_ms[:n]),
        n_plus_one_share=HourlyShare(
            share.within_pct[n:], share.breach_hours[n:], share.p95_ms[n:]
        ),
        peak_utilization=ratio(np.float64(hours.peak_cpu_cores), candidates.cpu_capacity_cores),
        n_plus_one_peak=ratio(
            np.float64(hours.peak_cpu_cores), candidates.n_plus_one_cpu_capacity_cores
        ),
        memory_peak=ratio(np.float64(hours.peak_memory_gib), candidates.memory_capacity_gib),
    )
    capacity = candidates.cpu_capacity_cores
    if judgement.hourly:
        utilization = ratio(hours.cpu_cores[None, :], capacity[:, None])
        saturated = saturated_hours(utilization)
    else:
        utilization, saturated = np.empty((n, 0)), saturated_counts(hours.cpu_cores, capacity)
    return _verdicts(
        checks, candidates, (utilization, saturated), sla=judgement.sla, policy=judgement.policy
    )


def screen_candidates(
    usage: UsageWindow, candidates: Candidates, *, sla: Sla, policy: SlaPolicy
) -> BoolArray:
    """evaluate_candidates(...).sizing_ok without the latency model, in O(candidates) work.

    Rule: the capacity checks of evaluate_candidates on the window's peaks — saturation, error
    risk, memory, availability and, when required, N+1 (≥ 2 replicas, peak utilization < 1 with
    one replica lost). Latency is not judged: the cheap first pass a sizing rule screens with.
    """
    if usage.points == 0:
        raise InsufficientData("the usage window has no hours to evaluate")
    peak_cpu_cores = np.fmax.reduce(usage.cpu_used_p95_cores)
    peak = ratio(peak_cpu_cores, candidates.cpu_capacity_cores)
    memory_peak = ratio(np.fmax.reduce(usage.memory_used_max_gib), candidates.memory_capacity_gib)
    saturation_ok, error_risk, memory_ok, availability_ok = _capacity_checks(
        peak, memory_peak, candidates, sla=sla, policy=policy
    )
    capacity_ok = saturation_ok & ~error_risk & memory_ok & availability_ok
    if sla.availability_target_pct < REDUNDANT_AVAILABILITY_PCT:
        return capacity_ok
    n1_peak = ratio(peak_cpu_cores, candidates.n_plus_one_cpu_capacity_cores)
    return capacity_ok & (candidates.replicas >= 2) & (n1_peak < 1.0)


def _capacity_checks(
    peak: FloatArray,
    memory_peak: FloatArray,
    candidates: Candidates,
    *,
    sla: Sla,
    policy: SlaPolicy,
) -> tuple[BoolArray, BoolArray, BoolArray, BoolArray]:
    """(saturation_ok, error_risk, memory_ok, availability_ok): the checks without latency/N+1."""
    saturation_ok = peak <= policy.saturation_limit
    error_risk = ~(peak < policy.error_risk_utilization)  # NaN → at risk
    memory_ok = np.isnan(memory_peak) | (memory_peak <= 1.0)
    availability_ok = _availability_ok(candidates, replicas_needed(sla.availability_target_pct))
    return saturation_ok, error_risk, memory_ok, availability_ok


def evaluate(
    usage: UsageWindow,
    current: CapacityConfig,
    candidate: CapacityConfig,
    *,
    sla: Sla,
    policy: SlaPolicy,
    demand_scale: float | FloatArray = 1.0,
) -> SlaVerdict:
    """The verdict on one candidate config, with reasons; the rules of evaluate_candidates."""
    candidates = Candidates.of(candidate)
    verdicts = evaluate_candidates(
        usage, current, candidates, sla=sla, policy=policy, demand_scale=demand_scale
    )
    return verdict_at(verdicts, 0, candidates, sla=sla, policy=policy)


@dataclass(frozen=True, slots=True)
class _Checks:
    latency: ProjectedLatency
    latency_share: HourlyShare
    n_plus_one_share: HourlyShare
    peak_utilization: FloatArray
    n_plus_one_peak: FloatArray
    memory_peak: FloatArray


def _verdicts(
    checks: _Checks,
    candidates: Candidates,
    hourly: tuple[FloatArray, IntArray],
    *,
    sla: Sla,
    policy: SlaPolicy,
) -> CandidateVerdicts:
    utilization, saturated = hourly  # candidates × hours (or × 0) and the saturated hours
    latency, share, n1_share = checks.latency, checks.latency_share, checks.n_plus_one_share
    # Hours that even unlimited capacity would breach are allowed on top of the tolerance:
    # no resize can fix them, so they must not block every candidate (they stay in `reasons`).
    needed_pct = policy.latency_hours_pct - latency.irreducible_breach_pct(
        sla.latency_p95_target_ms
    )
    n1_target_ms = sla.latency_p95_target_ms * policy.n_plus_one_latency_factor
    n1_needed_pct = policy.latency_hours_pct - latency.irreducible_breach_pct(n1_target_ms)
    latency_ok = (not latency.modelled) | (share.within_pct >= policy.latency_hours_pct)
    latency_sizing_ok = (not latency.modelled) | (share.within_pct >= needed_pct)
    saturation_ok, error_risk, memory_ok, availability_ok = _capacity_checks(
        checks.peak_utilization, checks.memory_peak, candidates, sla=sla, policy=policy
    )
    n1_latency_ok = (not latency.modelled) | (n1_share.within_pct >= policy.latency_hours_pct)
    n1_sizing_ok = (not latency.modelled) | (n1_share.within_pct >= n1_needed_pct)
    n_plus_one_ok = (candidates.replicas >= 2) & (checks.n_plus_one_peak < 1.0) & n1_latency_ok
    n1_capacity_ok = (candidates.replicas >= 2) & (checks.n_plus_one_peak < 1.0) & n1_sizing_ok
    required = sla.availability_target_pct >= REDUNDANT_AVAILABILITY_PCT
    capacity_checks = saturation_ok & ~error_risk & memory_ok & availability_ok
    passes = latency_ok & capacity_checks & (n_plus_one_ok | (not required))
    sizing_ok = latency_sizing_ok & capacity_checks & (n1_capacity_ok | (not required))
    scores = _scores(checks, availability_ok, n_plus_one_ok, required=required, policy=policy)
    return CandidateVerdicts(
        passes=passes,
        sizing_ok=sizing_ok,
        latency_ok=latency_ok,
        saturation_ok=saturation_ok,
        error_risk=error_risk,
        memory_ok=memory_ok,
        availability_ok=availability_ok,
        n_plus_one_ok=n_plus_one_ok,
        n_plus_one_required=required,
        replicas_needed=replicas_needed(sla.availability_target_pct),
        latency_modelled=latency.modelled,
        latency_note=latency.note,
        cpu_seconds_per_request=latency.cpu_seconds_per_request,
        hours_within_target_pct=share.within_pct,
        breach_hours=share.breach_hours,
        saturated_hours=saturated,
        p95_of_projected_latency_ms=share.p95_ms,
        peak_utilization=checks.peak_utilization,
        memory_peak_utilization=checks.memory_peak,
        n_plus_one_peak_utilization=checks.n_plus_one_peak,
        n_plus_one_hours_within_pct=n1_share.within_pct,
        risk_score=scores.total,
        sub_scores=scores,
        projected_latency_ms=latency.projected_ms[: len(candidates)],
        projected_utilization=utilization,
        latency_floor_ms=latency.floor_ms if latency.modelled else None,
    )


def latency_floor_ms(verdicts: CandidateVerdicts, *, policy: SlaPolicy) -> float:
    """The lowest p95 target any capacity could keep in policy.latency_hours_pct % of hours:
    that quantile (inverted CDF: a value some hour reaches) of the hourly latency floor, the
    latency left with unlimited servers. NaN when latency is not modelled.

    A target below it fails the latency rule for every config, however large: the hours over
    it are dependency or code slowness, not a sizing problem.
    """
    floor = verdicts.latency_floor_ms
    known = floor[~np.isnan(floor)] if floor is not None else np.empty(0)
    if not len(known):
        return float("nan")
    return float(np.quantile(known, policy.latency_hours_pct / 100.0, method="inverted_cdf"))


def _availability_ok(candidates: Candidates, needed: int) -> BoolArray:
    """Enough replicas, spread across ≥ 2 zones once more than one is needed."""
    return (candidates.replicas >= needed) & ((candidates.zones >= 2) | (needed < 2))


def _scores(
    checks: _Checks,
    availability_ok: BoolArray,
    n_plus_one_ok: BoolArray,
    *,
    required: bool,
    policy: SlaPolicy,
) -> RiskScores:
    return RiskScores(
        cpu_headroom=risk.cpu_headroom_score(
            checks.peak_utilization,
            saturation_limit=policy.saturation_limit,
            error_risk_utilization=policy.error_risk_utilization,
        ),
        memory=risk.memory_score(checks.memory_peak),
        latency=risk.latency_score(
            100.0 - checks.latency_share.within_pct,
            allowed_pct=policy.allowed_breach_pct,
            modelled=checks.latency.modelled,
        ),
        error_saturation=risk.error_saturation_score(checks.peak_utilization),
        availability=risk.availability_score(
            availability_ok, n_plus_one_ok, n_plus_one_required=required
        ),
    )
