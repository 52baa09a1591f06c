"""Commitment: how much hourly spend to commit to, at fleet or team level."""

from __future__ import annotations

import numpy as np

from engine.arrays import FloatArray
from engine.explanation import Explanation
from engine.recommendation import Money, Recommendation, RecommendationOutcome, worth_making
from engine.units import HOURS_PER_MONTH, HOURS_PER_WEEK

MIN_HOURS = HOURS_PER_WEEK


def recommend_commitment(
    scope: str, hourly_on_demand_usd: FloatArray, *, discount_pct: float
) -> Recommendation:
    """Commit c USD/h (on-demand equivalent) where c = the d-quantile of hourly on-demand spend S.

    With d = discount fraction, an hour costs c × (1 − d) + max(S − c, 0); its expectation is
    minimal where P(S ≤ c) = d (newsvendor). Expected utilization = E[min(S, c)] / c; monthly
    waste = (c − E[min(S, c)]) × (1 − d) × 730; savings are against paying all of S on demand.
    """
    spend = np.asarray(hourly_on_demand_usd, dtype=np.float64)
    spend = spend[np.isfinite(spend)]
    if not 0.0 < discount_pct < 100.0:
        return _result(scope, "not_applicable", f"discount {discount_pct:g} % gives no trade-off")
    if len(spend) < MIN_HOURS:
        return _result(scope, "not_enough_data", f"not enough data: {len(spend)} of 168 hours")
    d = discount_pct / 100.0
    commit_usd = float(np.quantile(spend, d))
    if commit_usd <= 0:
        return _result(scope, "already_optimal", "spend is zero in most hours: commit nothing")
    used_usd = float(np.mean(np.minimum(spend, commit_usd)))
    overflow_usd = float(np.mean(np.maximum(spend - commit_usd, 0.0)))
    all_on_demand = float(np.mean(spend)) * HOURS_PER_MONTH
    with_commit = (commit_usd * (1.0 - d) + overflow_usd) * HOURS_PER_MONTH
    current = Money(all_on_demand, all_on_demand)
    proposed = Money(all_on_demand, with_commit)
    if not worth_making(current, proposed):
        return _result(scope, "no_change_worth_making", "commitment saves < 5 % or < $10/month")
    return Recommendation(
        kind="commitment",
        outcome="recommend",
        reason=f"commit ${commit_usd:.2f}/h at {discount_pct:g} % off",
        scope=scope,
        cost_current=current,
        cost_proposed=proposed,
        explanation=Explanation(
            why=f"the {100 * d:g}th percentile of hourly spend minimises expected cost",
            facts=(
                ("rule", "commitment"),
                ("commitment_usd_per_hour", commit_usd),
                ("quantile", d),
                ("expected_utilization_pct", 100.0 * used_usd / commit_usd),
                ("monthly_waste_usd", (commit_usd - used_usd) * (1.0 - d) * HOURS_PER_MONTH),
                ("hours", len(spend)),
            ),
        ),
        effort="low",
        rollback_possible=False,
    )


def _result(scope: str, outcome: RecommendationOutcome, reason: str) -> Recommendation:
    return Recommendation(kind="commitment", outcome=outcome, reason=reason, scope=scope)
