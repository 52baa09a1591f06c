"""Performance risk 0–4 of a candidate config: the max of five documented sub-scores.

Like AWS Compute Optimizer's performance risk, 0 means "predicted to always have enough" and the
option's risk is the worst of its dimensions. Every sub-score counts how many of four rising
thresholds a metric crosses, so it is monotone in that metric:

- cpu_headroom, peak CPU utilization u: ≤ 0.50 → 0, ≤ 0.85·limit → 1, ≤ limit → 2,
  ≤ 0.95 → 3, else 4;
- memory, peak memory utilization: ≤ 0.50 → 0, ≤ 0.85 → 1, ≤ 0.90 → 2, ≤ 1.00 → 3, else 4;
- latency, breach-hour share b against the allowed share a (1 % by default): b = 0 → 0,
  ≤ a/10 → 1, ≤ a → 2, ≤ 5·a → 3, else 4;
- error_saturation, peak CPU utilization u: < 0.80 → 0, < 0.90 → 1, < 0.95 → 2,
  < 1.00 → 3 (error-rate risk), else 4 (overload: the queue never drains);
- availability: redundancy rule and N+1 hold → 0, N+1 fails where the SLA does not require it → 1,
  N+1 fails where required → 3, redundancy rule fails → 4.

`limit` is the policy class's saturation limit and 0.95 its error-risk utilization. Memory
tiers sit where the sizing profiles land (max × 1.20 → 0.83, max × 1.15 → 0.87), so a normal
rightsizing reads "low" or "moderate", and above 1.0 an OOM is expected. A dimension we could
not check (no latency model, no memory samples) scores 1: unchecked is never "very low"; no
CPU samples score 4.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from engine.arrays import BoolArray, FloatArray, IntArray

RISK_LABELS = ("very low", "low", "moderate", "elevated", "high")
UNCHECKED_SCORE = 1
MEMORY_TIERS = (0.50, 0.85, 0.90, 1.00)
ERROR_SATURATION_TIERS = (0.80, 0.90, 0.95, 1.00)
LATENCY_TIER_FACTORS = (0.0, 0.1, 1.0, 5.0)  # × the allowed breach share


@dataclass(frozen=True, slots=True)
class RiskScores:
    """The five sub-scores per candidate, each 0–4; `total` is their maximum."""

    cpu_headroom: IntArray
    memory: IntArray
    latency: IntArray
    error_saturation: IntArray
    availability: IntArray

    @property
    def total(self) -> IntArray:
        """Per candidate, the worst (maximum) of the five sub-scores."""
        stacked = np.stack(
            [self.cpu_headroom, self.memory, self.latency, self.error_saturation, self.availability]
        )
        worst: IntArray = stacked.max(axis=0)
        return worst

    def at(self, index: int) -> dict[str, int]:
        """One candidate's sub-scores by name."""
        return {name: int(getattr(self, name)[index]) for name in _SUB_SCORES}


_SUB_SCORES = tuple(f.name for f in fields(RiskScores))  # dataclasses.fields() is slow per call


def risk_label(score: int) -> str:
    """The label of a 0–4 risk score: 'very low' … 'high'."""
    return RISK_LABELS[score]


def cpu_headroom_score(
    peak_utilization: FloatArray, *, saturation_limit: float, error_risk_utilization: float
) -> IntArray:
    """Tiers 0.50 / 0.85·limit / limit / error-risk utilization; no CPU samples (NaN) → 4."""
    tiers = (0.50, 0.85 * saturation_limit, saturation_limit, error_risk_utilization)
    scores = _crossed(peak_utilization, tiers)
    return np.where(np.isnan(peak_utilization), 4, scores).astype(np.int64)


def memory_score(peak_utilization: FloatArray) -> IntArray:
    """Tiers 0.50 / 0.85 / 0.90 / 1.00 of peak memory utilization; no samples → 1."""
    scores = _crossed(peak_utilization, MEMORY_TIERS)
    return np.where(np.isnan(peak_utilization), UNCHECKED_SCORE, scores).astype(np.int64)


def latency_score(breach_pct: FloatArray, *, allowed_pct: float, modelled: bool) -> IntArray:
    """Breach-hour share against 0, a/10, a, 5a (a = allowed share); not modelled → 1."""
    if not modelled:
        return np.full(breach_pct.shape, UNCHECKED_SCORE, dtype=np.int64)
    return _crossed(breach_pct, tuple(f * allowed_pct for f in LATENCY_TIER_FACTORS))


def error_saturation_score(peak_utilization: FloatArray) -> IntArray:
    """Peak utilization ≥ 0.80 / 0.90 / 0.95 (error-rate risk) / 1.00 (overload); NaN → 4."""
    crossed = sum((peak_utilization >= tier).astype(np.int64) for tier in ERROR_SATURATION_TIERS)
    return np.where(np.isnan(peak_utilization), 4, np.asarray(crossed, dtype=np.int64))


def availability_score(
    availability_ok: BoolArray, n_plus_one_ok: BoolArray, *, n_plus_one_required: bool
) -> IntArray:
    """4 if the redundancy rule fails; N+1 failing scores 3 where required, else 1."""
    n_plus_one_miss = 3 if n_plus_one_required else 1
    scores = np.where(~availability_ok, 4, np.where(n_plus_one_ok, 0, n_plus_one_miss))
    return scores.astype(np.int64)


def _crossed(values: FloatArray, tiers: tuple[float, ...]) -> IntArray:
    """How many tiers each value exceeds; tiers are made non-decreasing first."""
    ordered = np.maximum.accumulate(np.asarray(tiers, dtype=np.float64))
    crossed: IntArray = np.sum(values[..., None] > ordered, axis=-1).astype(np.int64)
    return crossed
