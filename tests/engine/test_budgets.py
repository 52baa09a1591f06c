"""Budget alert state: over beats at risk, spending exactly the amount is within budget."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.budgets import budget_state, check_budget


@pytest.mark.parametrize(
    ("month_to_date", "forecast", "expected"),
    [
        (400.0, 900.0, "ok"),
        (400.0, 1000.0, "ok"),
        (400.0, 1000.01, "at_risk"),
        (1000.0, 1500.0, "at_risk"),
        (1000.5, 1500.0, "over"),
    ],
)
def test_state_against_a_1000_budget(month_to_date: float, forecast: float, expected: str) -> None:
    state = budget_state(month_to_date_cost=month_to_date, forecast_cost=forecast, amount=1000.0)

    assert state == expected


def test_check_reports_consumption_and_forecast_as_percentages() -> None:
    check = check_budget(amount=800.0, month_to_date_cost=200.0, forecast_cost=880.0)

    assert (check.state, check.consumed_pct, check.forecast_pct) == ("at_risk", 25.0, 110.0)


def test_a_budget_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        budget_state(month_to_date_cost=0.0, forecast_cost=0.0, amount=0.0)


money = st.floats(0.0, 1e9, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(mtd=money, extra=money, amount=st.floats(0.01, 1e9))
def test_more_spend_never_improves_the_state(mtd: float, extra: float, amount: float) -> None:
    rank = {"ok": 0, "at_risk": 1, "over": 2}
    before = budget_state(month_to_date_cost=mtd, forecast_cost=mtd + extra, amount=amount)

    after = budget_state(
        month_to_date_cost=mtd + extra, forecast_cost=mtd + 2 * extra, amount=amount
    )

    assert rank[after] >= rank[before]
