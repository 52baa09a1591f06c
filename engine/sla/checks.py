"""The SLA engine's checks over every candidate of many services at once, then split per service.

A fleet recompute judges ~20 candidates per service; checked service by service, the rules'
few dozen numpy calls on arrays of 20 cost more than the per-hour work. Services that share an
SLA and a policy are checked together here: their candidates concatenated, each service's
scalars (latency modelled?, the hours no capacity can fix) repeated over its candidates, the
same element-wise expressions — so the same values, cell for cell, as one service alone.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine import risk
from engine.arrays import BoolArray, FloatArray, IntArray
from engine.risk import RiskScores
from engine.service import Sla
from engine.sla.candidates import Candidates, CandidateVerdicts
from engine.sla.hours import HoursResult
from engine.sla.latency import SATURATED_UTILIZATION
from engine.sla.policy import REDUNDANT_AVAILABILITY_PCT, SlaPolicy, replicas_needed
from engine.sla.utilization import ratio, saturated_counts, saturated_hours

_Column = npt.NDArray[Any]  # a verdict column: bools, floats or counts per candidate


@dataclass(frozen=True, slots=True)
class Judged:
    """One service's candidates and what the per-hour work found for them."""

    candidates: Candidates
    hours: HoursResult
    hourly: bool  # keep the candidates × hours utilization (charts), or count saturation only


@dataclass(frozen=True, slots=True)
class _Checks:
    """Per candidate of the concatenation: what the rules read."""

    modelled: BoolArray
    within_pct: FloatArray
    n_plus_one_within_pct: FloatArray
    needed_pct: FloatArray  # latency_hours_pct less the hours no capacity can fix
    n_plus_one_needed_pct: FloatArray
    peak_utilization: FloatArray
    n_plus_one_peak: FloatArray
    memory_peak: FloatArray


def verdicts_many(
    judged: Sequence[Judged], *, sla: Sla, policy: SlaPolicy
) -> list[CandidateVerdicts]:
    """Each service's CandidateVerdicts under one SLA and policy (the rules of
    judge.evaluate_candidates), the checks run once over all their candidates."""
    sizes = [len(j.candidates) for j in judged]
    candidates = _joined([j.candidates for j in judged])
    checks = _checks(judged, candidates, sizes, sla=sla, policy=policy)
    columns, scores = _columns(checks, candidates, sla=sla, policy=policy)
    columns["breach_hours"] = _joined_share(judged, "breach_hours", first=True)
    columns["p95_of_projected_latency_ms"] = _joined_share(judged, "p95_ms", first=True)
    # No saturated hour where the peak hour is below capacity: x ↦ x / capacity keeps the hours'
    # order and no hour exceeds the peak (a NaN peak is not below: counted).
    below = columns["peak_utilization"] < SATURATED_UTILIZATION
    starts = list(itertools.accumulate(sizes, initial=0))
    spans = zip(judged, starts[:-1], starts[1:], strict=True)
    hourly = [_saturation(one, below[a:b]) for one, a, b in spans]
    columns["saturated_hours"] = _concatenate([saturated for _, saturated in hourly])
    out, start = [], 0
    for one, size, (utilization, _) in zip(judged, sizes, hourly, strict=True):
        rows = slice(start, start + size)
        start = rows.stop
        out.append(_verdicts_at(one, rows, (columns, scores), utilization, sla=sla))
    return out


def capacity_checks(
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


def _checks(
    judged: Sequence[Judged],
    candidates: Candidates,
    sizes: list[int],
    *,
    sla: Sla,
    policy: SlaPolicy,
) -> _Checks:
    target_ms = sla.latency_p95_target_ms
    n1_target_ms = target_ms * policy.n_plus_one_latency_factor
    latency = [j.hours.latency for j in judged]

    def each(values: list[float] | list[bool]) -> _Column:
        return np.repeat(np.asarray(values), sizes)

    return _Checks(
        modelled=each([one.modelled for one in latency]),
        within_pct=_joined_share(judged, "within_pct", first=True),
        n_plus_one_within_pct=_joined_share(judged, "within_pct", first=False),
        needed_pct=each(
            [policy.latency_hours_pct - one.irreducible_breach_pct(target_ms) for one in latency]
        ),
        n_plus_one_needed_pct=each(
            [policy.latency_hours_pct - one.irreducible_breach_pct(n1_target_ms) for one in latency]
        ),
        peak_utilization=ratio(
            each([j.hours.peak_cpu_cores for j in judged]), candidates.cpu_capacity_cores
        ),
        n_plus_one_peak=ratio(
            each([j.hours.peak_cpu_cores for j in judged]), candidates.n_plus_one_cpu_capacity_cores
        ),
        memory_peak=ratio(
            each([j.hours.peak_memory_gib for j in judged]), candidates.memory_capacity_gib
        ),
    )


def _columns(
    checks: _Checks, candidates: Candidates, *, sla: Sla, policy: SlaPolicy
) -> tuple[dict[str, _Column], RiskScores]:
    """The verdict's per-candidate columns (CandidateVerdicts' field names) and risk scores."""
    unmodelled = ~checks.modelled
    latency_ok = unmodelled | (checks.within_pct >= policy.latency_hours_pct)
    latency_sizing_ok = unmodelled | (checks.within_pct >= checks.needed_pct)
    saturation_ok, error_risk, memory_ok, availability_ok = capacity_checks(
        checks.peak_utilization, checks.memory_peak, candidates, sla=sla, policy=policy
    )
    n1_latency_ok = unmodelled | (checks.n_plus_one_within_pct >= policy.latency_hours_pct)
    n1_sizing_ok = unmodelled | (checks.n_plus_one_within_pct >= checks.n_plus_one_needed_pct)
    n1_holds = (candidates.replicas >= 2) & (checks.n_plus_one_peak < 1.0)
    n_plus_one_ok = n1_holds & n1_latency_ok
    required = sla.availability_target_pct >= REDUNDANT_AVAILABILITY_PCT
    capacity_ok = saturation_ok & ~error_risk & memory_ok & availability_ok
    scores = _scores(checks, availability_ok, n_plus_one_ok, required=required, policy=policy)
    columns = {
        "passes": latency_ok & capacity_ok & (n_plus_one_ok | (not required)),
        "sizing_ok": latency_sizing_ok & capacity_ok & ((n1_holds & n1_sizing_ok) | (not required)),
        "latency_ok": latency_ok,
        "saturation_ok": saturation_ok,
        "error_risk": error_risk,
        "memory_ok": memory_ok,
        "availability_ok": availability_ok,
        "n_plus_one_ok": n_plus_one_ok,
        "hours_within_target_pct": checks.within_pct,
        "peak_utilization": checks.peak_utilization,
        "memory_peak_utilization": checks.memory_peak,
        "n_plus_one_peak_utilization": checks.n_plus_one_peak,
        "n_plus_one_hours_within_pct": checks.n_plus_one_within_pct,
        "risk_score": scores.total,
    }
    return columns, scores


def _scores(
    checks: _Checks,
    availability_ok: BoolArray,
    n_plus_one_ok: BoolArray,
    *,
    required: bool,
    policy: SlaPolicy,
) -> RiskScores:
    latency = risk.latency_score(
        100.0 - checks.within_pct, allowed_pct=policy.allowed_breach_pct, modelled=True
    )
    return RiskScores(
        cpu_headroom=risk.cpu_headroom_score(
            checks.peak_utilization,
            saturation_limit=policy.saturation_limit,
            error_risk_utilization=policy.error_risk_utilization,
        ),
        memory=risk.memory_score(checks.memory_peak),
        # risk.latency_score's unmodelled value, service by service
        latency=np.where(checks.modelled, latency, risk.UNCHECKED_SCORE).astype(np.int64),
        error_saturation=risk.error_saturation_score(checks.peak_utilization),
        availability=risk.availability_score(
            availability_ok, n_plus_one_ok, n_plus_one_required=required
        ),
    )


def _verdicts_at(
    one: Judged,
    rows: slice,
    table: tuple[dict[str, _Column], RiskScores],
    utilization: FloatArray,
    *,
    sla: Sla,
) -> CandidateVerdicts:
    """One service's CandidateVerdicts: its rows of the columns, and its own scalars."""
    columns, scores = table
    latency, n = one.hours.latency, rows.stop - rows.start
    return CandidateVerdicts(
        **{name: values[rows] for name, values in columns.items()},
        n_plus_one_required=sla.availability_target_pct >= REDUNDANT_AVAILABILITY_PCT,
        replicas_needed=replicas_needed(sla.availability_target_pct),
        latency_modelled=latency.modelled,
        latency_note=latency.note,
        cpu_seconds_per_request=latency.cpu_seconds_per_request,
        sub_scores=RiskScores(
            scores.cpu_headroom[rows],
            scores.memory[rows],
            scores.latency[rows],
            scores.error_saturation[rows],
            scores.availability[rows],
        ),
        projected_latency_ms=latency.projected_ms[:n],
        projected_utilization=utilization,
        latency_floor_ms=latency.floor_ms if latency.modelled else None,
    )


def _saturation(one: Judged, below_peak: BoolArray) -> tuple[FloatArray, IntArray]:
    """(utilization candidates × hours, or × 0 without `hourly`; saturated hours per candidate).
    `below_peak`: per candidate, its peak utilization is below saturation (then none saturates,
    and without `hourly` nothing is counted for it)."""
    capacity, cpu = one.candidates.cpu_capacity_cores, one.hours.cpu_cores
    if one.hourly:
        utilization = ratio(cpu[None, :], capacity[:, None])
        return utilization, saturated_hours(utilization)
    counts = np.zeros(len(capacity), dtype=np.int64)
    maybe = np.flatnonzero(~below_peak)
    if len(maybe):  # each candidate's count is its own: counting a subset changes none
        counts[maybe] = saturated_counts(cpu, capacity[maybe])
    return np.empty((len(capacity), 0)), counts


def _joined(candidates: list[Candidates]) -> Candidates:
    if len(candidates) == 1:
        return candidates[0]
    return Candidates.checked_already(  # each part was checked when it was made
        *(
            np.concatenate([getattr(c, name) for c in candidates])
            for name in ("replicas", "vcpu_per_replica", "memory_gib_per_replica", "zones")
        )
    )


def _joined_share(judged: Sequence[Judged], name: str, *, first: bool) -> _Column:
    """Field `name` of each service's hourly shares: its candidates' rows (`first`) or their
    N+1 rows (the second half), concatenated."""
    parts = []
    for one in judged:
        n, values = len(one.candidates), getattr(one.hours.share, name)
        parts.append(values[:n] if first else values[n:])
    return _concatenate(parts)


def _concatenate(parts: Sequence[_Column]) -> _Column:
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _availability_ok(candidates: Candidates, needed: int) -> BoolArray:
    """Enough replicas, spread across ≥ 2 zones once more than one is needed."""
    return (candidates.replicas >= needed) & ((candidates.zones >= 2) | (needed < 2))
