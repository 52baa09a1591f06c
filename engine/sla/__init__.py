"""The SLA engine: would a candidate capacity config have kept the SLA over the usage history?

Start at judge.py (evaluate, evaluate_candidates, evaluate_many). It builds on latency.py (the
calibrated M/M/c projection), hours.py (per-hour work stacked over services), policy.py (how
strict each policy class is), candidates.py (what is judged and returned) and verdict.py (one
candidate's verdict with its reasons). Modules import downwards only; this root re-exports.
"""

from engine.risk import RISK_LABELS
from engine.sla.candidates import Candidates, CandidateVerdicts
from engine.sla.judge import (
    Judgement,
    evaluate,
    evaluate_candidates,
    evaluate_many,
    latency_floor_ms,
    screen_candidates,
    window_peaks,
)
from engine.sla.latency import baseline_latency_ms, cpu_seconds_per_request
from engine.sla.policy import (
    REDUNDANT_AVAILABILITY_PCT,
    SATURATION_LIMITS,
    TRIPLE_AVAILABILITY_PCT,
    SlaPolicy,
    policy_for,
    replicas_needed,
)
from engine.sla.verdict import SlaVerdict

__all__ = [
    "REDUNDANT_AVAILABILITY_PCT",
    "RISK_LABELS",
    "SATURATION_LIMITS",
    "TRIPLE_AVAILABILITY_PCT",
    "CandidateVerdicts",
    "Candidates",
    "Judgement",
    "SlaPolicy",
    "SlaVerdict",
    "baseline_latency_ms",
    "cpu_seconds_per_request",
    "evaluate",
    "evaluate_candidates",
    "evaluate_many",
    "latency_floor_ms",
    "policy_for",
    "replicas_needed",
    "screen_candidates",
    "window_peaks",
]
