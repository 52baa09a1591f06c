"""Judging candidates: would a capacity config have kept the SLA over the usage history?

Rules as in docs product.md "SLA engine": latency from the calibrated M/M/c projection
(engine/sla/latency.py), saturation and error risk from hourly CPU, memory, availability and N+1;
risk 0–4 from engine/risk.py. Every candidate is judged over the whole window at once,
vectorized over candidates × hours.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.arrays import BoolArray, FloatArray
from engine.capacity import CapacityConfig
from engine.errors import InsufficientData
from engine.service import Sla
from engine.sla.candidates import Candidates, CandidateVerdicts
from engine.sla.checks import Judged, capacity_checks, verdicts_many
from engine.sla.hours import HoursRequest, hours_many
from engine.sla.policy import REDUNDANT_AVAILABILITY_PCT, SlaPolicy
from engine.sla.utilization import ratio
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
    # The usage's cpu_seconds_per_request when the caller has it (HoursRequest.service_s).
    service_s: float | None = None


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
    groups: defaultdict[tuple[Sla, SlaPolicy], list[int]] = defaultdict(list)
    for index, judgement in enumerate(judgements):
        groups[(judgement.sla, judgement.policy)].append(index)
    out: list[CandidateVerdicts | None] = [None] * len(judgements)
    for (sla, policy), indices in groups.items():
        judged = [Judged(judgements[i].candidates, hours[i], judgements[i].hourly) for i in indices]
        for index, verdicts in zip(
            indices, verdicts_many(judged, sla=sla, policy=policy), strict=True
        ):
            out[index] = verdicts
    return [v for v in out if v is not None]


def _hours_request(judgement: Judgement) -> HoursRequest:
    usage, candidates = judgement.usage, judgement.candidates
    if usage.points == 0:
        raise InsufficientData("the usage window has no hours to evaluate")
    given = judgement.demand_scale
    if isinstance(given, float) and given == 1.0:  # the default: a recompute's every judgement
        scale = _unit_scale(usage.points)
    else:
        scale = np.broadcast_to(np.asarray(given, dtype=np.float64), (usage.points,))
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
        service_s=judgement.service_s,
    )


@functools.lru_cache(maxsize=64)
def _unit_scale(points: int) -> FloatArray:
    """The scalar scale 1.0 broadcast over `points` hours (read-only, stride 0: what
    hours._unit_scale recognizes), made once per window length and known to be >= 0. Why:
    broadcasting and checking it cost ~10 µs per judgement, twice per service in a recompute."""
    return np.broadcast_to(np.asarray(1.0, dtype=np.float64), (points,))


def screen_candidates(
    usage: UsageWindow,
    candidates: Candidates,
    *,
    sla: Sla,
    policy: SlaPolicy,
    peaks: tuple[np.float64, np.float64] | None = None,
) -> BoolArray:
    """evaluate_candidates(...).sizing_ok without the latency model, in O(candidates) work.

    Rule: the capacity checks of evaluate_candidates on the window's peaks — saturation, error
    risk, memory, availability and, when required, N+1 (≥ 2 replicas, peak utilization < 1 with
    one replica lost). Latency is not judged: the cheap first pass a sizing rule screens with.
    `peaks`: the window's `window_peaks` when the caller has them (three rules screen one window).
    """
    if usage.points == 0:
        raise InsufficientData("the usage window has no hours to evaluate")
    peak_cpu_cores, peak_memory_gib = peaks or window_peaks(usage)
    peak = ratio(peak_cpu_cores, candidates.cpu_capacity_cores)
    memory_peak = ratio(peak_memory_gib, candidates.memory_capacity_gib)
    saturation_ok, error_risk, memory_ok, availability_ok = capacity_checks(
        peak, memory_peak, candidates, sla=sla, policy=policy
    )
    capacity_ok = saturation_ok & ~error_risk & memory_ok & availability_ok
    if sla.availability_target_pct < REDUNDANT_AVAILABILITY_PCT:
        return capacity_ok
    n1_peak = ratio(peak_cpu_cores, candidates.n_plus_one_cpu_capacity_cores)
    return capacity_ok & (candidates.replicas >= 2) & (n1_peak < 1.0)


def window_peaks(usage: UsageWindow) -> tuple[np.float64, np.float64]:
    """The highest hourly p95 CPU (cores) and memory (GiB) of a window with hours, NaN ignored."""
    return np.fmax.reduce(usage.cpu_used_p95_cores), np.fmax.reduce(usage.memory_used_max_gib)


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
