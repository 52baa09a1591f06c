"""Budget and Overview outlooks from stored costs: an applied change re-levels the forecast,
the exceed probability and range come with the check, and both read one figure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy.orm import Session, sessionmaker

from data.models import ConfigChangeRow
from data.repos import budgets, costs, services
from data.repos.budget_status import evaluate_budgets
from data.repos.budgets import NewBudget
from data.repos.cost_outlook import scope_outlook
from data.repos.costs import DailyCost
from tests.factories import make_new_service

AS_OF = date(2026, 11, 14)  # the last complete day: 14 days of November charged
APPLIED = datetime(2026, 10, 31, 15, tzinfo=UTC)  # checkout resized: $10 → $6 a day from Nov 1
WEEKLY = np.array([1.0, 1.2, 1.1, 1.0, 0.9, 0.6, 0.5])


def _seed(sessions: sessionmaker[Session], *, applied: bool) -> None:
    with sessions.begin() as session:
        (checkout,) = services.add_services(
            session,
            [make_new_service("checkout", team="payments")],
            now=APPLIED - timedelta(days=90),
        )
        days = [AS_OF - timedelta(days=i) for i in range(90)]
        rows = []
        for day in days:
            level = 6.0 if day > APPLIED.date() else 10.0
            amount = float(level * WEEKLY[day.toordinal() % 7])
            rows.append(
                DailyCost(checkout.id, day, "Compute", "USD", amount, amount, amount, "aws")
            )
        costs.insert_daily_costs(session, rows)
        if applied:
            session.add(
                ConfigChangeRow(
                    service_id=checkout.id, before={}, after={}, actor="t", applied_at=APPLIED
                )
            )
        draft = NewBudget("service", "checkout", AS_OF, Decimal("150"), "USD")
        budgets.create_budget(session, draft, actor="t", now=APPLIED)


def _november_truth() -> float:
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(30)]
    return float(sum(6.0 * WEEKLY[d.toordinal() % 7] for d in days))


def test_an_applied_change_puts_the_forecast_at_the_new_level(
    sessions: sessionmaker[Session],
) -> None:
    _seed(sessions, applied=True)

    with sessions() as session:
        (view,) = evaluate_budgets(session, month=AS_OF, as_of=AS_OF)
        overview = scope_outlook(session, "service", "checkout", "USD", as_of=AS_OF)

    # The step is additive (−$4 a day, its median); the change here scaled each weekday by 0.6,
    # so the re-levelled weekends sit a little low: within 3 % of the month, not exact.
    assert view.check.forecast_cost == pytest.approx(_november_truth(), rel=0.03)
    assert overview is not None
    assert overview.outlook.forecast_cost == pytest.approx(view.check.forecast_cost)
    low, high = view.check.forecast_low80, view.check.forecast_high80
    assert low <= view.check.forecast_cost <= high
    # $150 against a ~$166 month with an exact weekly pattern since the change: over for sure.
    assert view.check.state == "at_risk"
    assert view.check.exceed_probability > 0.99


def test_without_the_change_the_step_reads_as_a_trend_and_misses(
    sessions: sessionmaker[Session],
) -> None:
    _seed(sessions, applied=False)

    with sessions() as session:
        (view,) = evaluate_budgets(session, month=AS_OF, as_of=AS_OF)

    # The robust slope sees the drop as a decline and extrapolates it: the month comes out low.
    assert view.check.forecast_cost < 0.9 * _november_truth()
