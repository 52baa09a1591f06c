"""One candidate's SLA verdict, with the human reasons a reviewer reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine.risk import risk_label

if TYPE_CHECKING:
    from engine.arrays import FloatArray
    from engine.service import Sla
    from engine.sla.candidates import Candidates, CandidateVerdicts
    from engine.sla.policy import SlaPolicy


@dataclass(frozen=True, slots=True)
class SlaVerdict:
    """The SLA engine's verdict on one config; the hourly arrays are for charts.

    Percent shares count modelled hours only; `hours_within_target_pct` is NaN and
    `latency_modelled` False when latency could not be modelled (the reasons say why).
    """

    passes: bool
    sizing_ok: bool  # passes, forgiving hours that no capacity could fix (see CandidateVerdicts)
    latency_ok: bool
    latency_modelled: bool
    saturation_ok: bool
    error_risk: bool
    memory_ok: bool
    availability_ok: bool
    n_plus_one_ok: bool
    n_plus_one_required: bool
    hours_within_target_pct: float
    breach_hours: int  # saturated hours included
    saturated_hours: int  # utilization ≥ 1: no steady state, latency +inf
    p95_of_projected_latency_ms: float
    peak_utilization: float
    memory_peak_utilization: float
    n_plus_one_peak_utilization: float
    risk_score: int
    risk_label: str
    sub_scores: dict[str, int]
    projected_latency_ms: FloatArray
    projected_utilization: FloatArray
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Case:
    """What the reason rules read: one candidate of a batch, and the rules it was judged by."""

    verdicts: CandidateVerdicts
    index: int
    candidates: Candidates
    sla: Sla
    policy: SlaPolicy

    def value(self, name: str) -> float:
        """Field `name` of the batch verdict at this candidate, as a float."""
        return float(getattr(self.verdicts, name)[self.index])

    def flag(self, name: str) -> bool:
        """Field `name` of the batch verdict at this candidate, as a bool."""
        return bool(getattr(self.verdicts, name)[self.index])


def verdict_at(
    verdicts: CandidateVerdicts, index: int, candidates: Candidates, *, sla: Sla, policy: SlaPolicy
) -> SlaVerdict:
    """Candidate `index` of a batch verdict as an SlaVerdict, reasons included."""
    case = _Case(verdicts, index, candidates, sla, policy)
    v, i = verdicts, index  # each field read directly: this runs for every recommendation
    score = int(v.risk_score[i])
    return SlaVerdict(
        passes=bool(v.passes[i]),
        sizing_ok=bool(v.sizing_ok[i]),
        latency_ok=bool(v.latency_ok[i]),
        latency_modelled=v.latency_modelled,
        saturation_ok=bool(v.saturation_ok[i]),
        error_risk=bool(v.error_risk[i]),
        memory_ok=bool(v.memory_ok[i]),
        availability_ok=bool(v.availability_ok[i]),
        n_plus_one_ok=bool(v.n_plus_one_ok[i]),
        n_plus_one_required=v.n_plus_one_required,
        hours_within_target_pct=float(v.hours_within_target_pct[i]),
        breach_hours=int(v.breach_hours[i]),
        saturated_hours=int(v.saturated_hours[i]),
        p95_of_projected_latency_ms=float(v.p95_of_projected_latency_ms[i]),
        peak_utilization=float(v.peak_utilization[i]),
        memory_peak_utilization=float(v.memory_peak_utilization[i]),
        n_plus_one_peak_utilization=float(v.n_plus_one_peak_utilization[i]),
        risk_score=score,
        risk_label=risk_label(score),
        sub_scores=v.sub_scores.at(i),
        projected_latency_ms=v.projected_latency_ms[i],
        projected_utilization=v.projected_utilization[i],
        reasons=_reasons(case),
    )


def _reasons(case: _Case) -> tuple[str, ...]:
    """Every failed or unchecked rule in words; a one-line summary when all hold."""
    found = tuple(text for rule in _REASON_RULES if (text := rule(case)) is not None)
    return found or (_summary(case),)


def _latency_reason(case: _Case) -> str | None:
    v = case.verdicts
    if not v.latency_modelled:
        return f"p95 latency not modelled ({v.latency_note}): the latency rule is not checked"
    if case.flag("latency_ok"):
        return None
    breach_pct = 100.0 - case.value("hours_within_target_pct")
    return (
        f"p95 latency above {case.sla.latency_p95_target_ms:g} ms in {breach_pct:.1f} % of hours"
        f" (allowed {case.policy.allowed_breach_pct:.1f} %)"
    )


def _saturation_reason(case: _Case) -> str | None:
    peak = case.value("peak_utilization")
    if np.isnan(peak):
        return "no CPU samples: saturation cannot be checked"
    saturated = case.value("saturated_hours")
    if saturated > 0:
        return (
            f"CPU demand reaches {_pct(peak)} of capacity: saturated (ρ ≥ 1) in"
            f" {saturated:.0f} hours, where the queue never drains and latency is unbounded"
        )
    if case.flag("error_risk"):
        return (
            f"CPU utilization reaches {_pct(peak)} (≥ {_pct(case.policy.error_risk_utilization)}):"
            " error-rate risk"
        )
    if not case.flag("saturation_ok"):
        limit = case.policy.saturation_limit
        return f"peak CPU utilization {_pct(peak)} above the limit {_pct(limit)}"
    return None


def _memory_reason(case: _Case) -> str | None:
    peak = case.value("memory_peak_utilization")
    if np.isnan(peak):
        return "no memory samples: memory is not checked"
    if case.flag("memory_ok"):
        return None
    capacity_gib = float(case.candidates.memory_capacity_gib[case.index])
    return f"peak memory {_pct(peak)} of {capacity_gib:.1f} GiB: out-of-memory kills expected"


def _availability_reason(case: _Case) -> str | None:
    if case.flag("availability_ok"):
        return None
    target = case.sla.availability_target_pct
    needed = case.verdicts.replicas_needed
    replicas = int(case.candidates.replicas[case.index])
    zones = int(case.candidates.zones[case.index])
    return (
        f"availability {target:g} % needs ≥ {needed} replicas"
        f"{' across ≥ 2 zones' if needed > 1 else ''} (has {replicas} in {zones} zones)"
    )


def _n_plus_one_reason(case: _Case) -> str | None:
    if case.flag("n_plus_one_ok"):
        return None
    left = int(case.candidates.replicas[case.index]) - 1
    suffix = "" if case.verdicts.n_plus_one_required else " (not required by this SLA)"
    if left < 1:
        return f"N+1: losing a replica leaves none{suffix}"
    peak = case.value("n_plus_one_peak_utilization")
    if not peak < 1.0:
        return f"N+1: with {_replicas(left)} peak CPU utilization reaches {_pct(peak)}{suffix}"
    limit_ms = case.sla.latency_p95_target_ms * case.policy.n_plus_one_latency_factor
    breach_pct = 100.0 - float(case.verdicts.n_plus_one_hours_within_pct[case.index])
    return (
        f"N+1: with {_replicas(left)} p95 latency above {limit_ms:g} ms in {breach_pct:.1f} %"
        f" of hours (allowed {case.policy.allowed_breach_pct:.1f} %){suffix}"
    )


def _summary(case: _Case) -> str:
    latency = (
        f"p95 ≤ {case.sla.latency_p95_target_ms:g} ms in"
        f" {case.value('hours_within_target_pct'):.1f} % of hours"
    )
    return (
        f"meets the SLA: {latency}, peak CPU {_pct(case.value('peak_utilization'))}"
        f" (limit {_pct(case.policy.saturation_limit)}), N+1 holds"
    )


def _replicas(count: int) -> str:
    return f"{count} replica" if count == 1 else f"{count} replicas"


def _pct(fraction: float) -> str:
    return "∞ %" if fraction == np.inf else f"{100.0 * fraction:.0f} %"


_REASON_RULES: tuple[Callable[[_Case], str | None], ...] = (
    _latency_reason,
    _saturation_reason,
    _memory_reason,
    _availability_reason,
    _n_plus_one_reason,
)
