"""Budget alert state from month-to-date cost, the month-end forecast and the budget amount."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

BudgetState = Literal["ok", "at_risk", "over"]
BUDGET_STATES: tuple[BudgetState, ...] = ("ok", "at_risk", "over")


@dataclass(frozen=True, slots=True)
class BudgetCheck:
    """One budget against its month, all in the budget's billing currency.

    `forecast_low80`/`forecast_high80` bound the month-end total with 80 % probability, and
    `exceed_probability` is P(month-end total > amount), both from the forecast's predictive
    distribution (decision 025); NaN when the caller had no distribution to give. The state
    still follows the point forecast, so every page that shows the figure tells the same story.
    """

    amount: float
    month_to_date_cost: float
    forecast_cost: float
    state: BudgetState
    forecast_low80: float = float("nan")
    forecast_high80: float = float("nan")
    exceed_probability: float = float("nan")

    @property
    def consumed_pct(self) -> float:
        """Month-to-date as a percentage of the amount."""
        return 100.0 * self.month_to_date_cost / self.amount

    @property
    def forecast_pct(self) -> float:
        """Month-end forecast as a percentage of the amount."""
        return 100.0 * self.forecast_cost / self.amount


def budget_state(*, month_to_date_cost: float, forecast_cost: float, amount: float) -> BudgetState:
    """`over` once month-to-date exceeds the amount, else `at_risk` when the month-end
    forecast does, else `ok`. Spending exactly the amount is within budget."""
    if amount <= 0:
        raise ValueError(f"a budget amount must be positive, not {amount}")
    if month_to_date_cost > amount:
        return "over"
    if forecast_cost > amount:
        return "at_risk"
    return "ok"


def check_budget(
    *,
    amount: float,
    month_to_date_cost: float,
    forecast_cost: float,
    range80: tuple[float, float] = (float("nan"), float("nan")),
    exceed_probability: float = float("nan"),
) -> BudgetCheck:
    """The state of one budget with the figures it was judged on (units: billing currency)."""
    state = budget_state(
        month_to_date_cost=month_to_date_cost, forecast_cost=forecast_cost, amount=amount
    )
    if month_to_date_cost > amount:  # already spent: no forecast can bring it back under
        exceed_probability = 1.0
    return BudgetCheck(
        amount, month_to_date_cost, forecast_cost, state, *range80, exceed_probability
    )
