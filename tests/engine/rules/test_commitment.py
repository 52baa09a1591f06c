"""Worked examples and properties of the commitment (d-quantile) rule."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.rules.commitment import recommend_commitment

TWO_LEVELS = np.array([10.0] * 84 + [30.0] * 84)  # a week: half the hours $10/h, half $30/h


def test_a_30_pct_discount_commits_to_the_30th_percentile() -> None:
    rec = recommend_commitment("fleet", TWO_LEVELS, discount_pct=30.0)

    # c = $10/h, always used; cost 10 × 0.7 + E[max(S − 10, 0)] = 7 + 10 = 17 vs 20 on demand.
    assert rec.outcome == "recommend"
    assert rec.explanation.fact("commitment_usd_per_hour") == pytest.approx(10.0)
    assert rec.explanation.fact("expected_utilization_pct") == pytest.approx(100.0)
    assert rec.explanation.fact("monthly_waste_usd") == pytest.approx(0.0)
    assert rec.monthly_savings_usd == pytest.approx(3.0 * 730)


def test_a_60_pct_discount_commits_higher_and_accepts_some_waste() -> None:
    rec = recommend_commitment("team:payments", TWO_LEVELS, discount_pct=60.0)

    # c = $30/h, used 20 on average: utilization 2/3, waste (30 − 20) × 0.4 × 730 = 2,920.
    assert rec.explanation.fact("commitment_usd_per_hour") == pytest.approx(30.0)
    assert rec.explanation.fact("expected_utilization_pct") == pytest.approx(200 / 3)
    assert rec.explanation.fact("monthly_waste_usd") == pytest.approx(2920.0)
    assert rec.monthly_savings_usd == pytest.approx((20.0 - 12.0) * 730)
    assert rec.scope == "team:payments"


def test_less_than_a_week_of_spend_is_not_enough_data() -> None:
    rec = recommend_commitment("fleet", np.full(100, 5.0), discount_pct=30.0)

    assert rec.outcome == "not_enough_data"
    assert rec.reason == "not enough data: 100 of 168 hours"


def test_no_spend_commits_nothing() -> None:
    assert (
        recommend_commitment("fleet", np.zeros(168), discount_pct=30.0).outcome == "already_optimal"
    )


@given(
    spend=st.lists(st.floats(0.0, 1000.0), min_size=168, max_size=400),
    discount_pct=st.floats(1.0, 90.0),
)
def test_the_commitment_never_costs_more_than_all_on_demand(
    spend: list[float], discount_pct: float
) -> None:
    rec = recommend_commitment("fleet", np.array(spend), discount_pct=discount_pct)

    assert rec.monthly_savings_usd >= -1e-6
    if rec.outcome == "recommend":
        utilization_pct = rec.explanation.fact("expected_utilization_pct")
        assert isinstance(utilization_pct, float)
        assert 0.0 < utilization_pct <= 100.0 + 1e-9
