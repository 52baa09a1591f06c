"""Budgets forecast the month's budgeted scopes together, and the Overview forecasts its scope with
the same ones: a new scope's bands borrow the others' calibrated errors on both pages, and a
budgeted scope shows one month-end figure and range on both (decision 025)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy.orm import Session, sessionmaker

from data.repos import budgets, costs, services
from data.repos.budget_status import evaluate_budgets, scope_daily_costs
from data.repos.budgets import NewBudget
from data.repos.cost_outlook import scope_outlook
from data.repos.costs import DailyCost
from engine.arrays import FloatArray
from engine.month_forecast import forecast_month_outlook
from tests.factories import make_new_service

AS_OF = date(2026, 11, 14)
NOW = datetime(2026, 11, 15, 6, tzinfo=UTC)
WEEKLY = np.array([1.0, 1.2, 1.1, 1.0, 0.9, 0.6, 0.5])
# slug → (level $/day, days with cost up to AS_OF): two long histories and a 12-day-old service.
FLEET = {"checkout": (10.0, 91), "search": (20.0, 91), "ledger": (50.0, 12), "mailer": (5.0, 12)}


def _seed(sessions: sessionmaker[Session], *, budgeted: tuple[str, ...]) -> None:
    rng = np.random.default_rng(21)
    with sessions.begin() as session:
        added = services.add_services(
            session,
            [make_new_service(slug, team="payments") for slug in FLEET],
            now=NOW - timedelta(days=120),
        )
        rows = []
        for service, (level, days) in zip(added, FLEET.values(), strict=True):
            for back in range(days):
                day = AS_OF - timedelta(days=back)
                amount = float(level * WEEKLY[day.toordinal() % 7] * (1 + rng.normal(0, 0.04)))
                rows.append(
                    DailyCost(service.id, day, "Compute", "USD", amount, amount, amount, "aws")
                )
        costs.insert_daily_costs(session, rows)
        for slug in budgeted:
            draft = NewBudget("service", slug, AS_OF, Decimal("400"), "USD")
            budgets.create_budget(session, draft, actor="t", now=NOW)


def _series(session: Session, slug: str) -> FloatArray:
    start = AS_OF - timedelta(days=90)
    return scope_daily_costs(session, [("service", slug)], start=start, end=AS_OF)[
        ("service", slug, "USD")
    ]


def test_a_new_budgeted_scope_borrows_and_both_pages_show_one_range(
    sessions: sessionmaker[Session],
) -> None:
    _seed(sessions, budgeted=("checkout", "search", "ledger"))

    with sessions() as session:
        views = {v.budget.scope_key: v for v in evaluate_budgets(session, month=AS_OF, as_of=AS_OF)}
        overview = scope_outlook(session, "service", "ledger", "USD", as_of=AS_OF)
        alone = forecast_month_outlook(
            _series(session, "ledger"), month_days_observed=14, days_in_month=30
        )

    ledger = views["ledger"].check
    assert overview is not None
    assert overview.outlook.forecast_cost == pytest.approx(ledger.forecast_cost)
    assert overview.outlook.month_end_range(80) == pytest.approx(
        (ledger.forecast_low80, ledger.forecast_high80)
    )
    assert ledger.forecast_cost == pytest.approx(alone.forecast_cost)  # the point is its own
    # Its range is the long scopes' relative range at its level, not its 15 short-horizon errors.
    ranges = {k: v.check.forecast_high80 - v.check.forecast_low80 for k, v in views.items()}
    assert (ledger.forecast_low80, ledger.forecast_high80) != pytest.approx(
        alone.month_end_range(80)
    )
    relative = {k: ranges[k] / views[k].check.forecast_cost for k in ranges}
    assert relative["ledger"] == pytest.approx(
        np.mean([relative["checkout"], relative["search"]]), rel=0.35
    )


def test_the_overview_pools_an_unbudgeted_scope_with_the_budgeted_ones(
    sessions: sessionmaker[Session],
) -> None:
    _seed(sessions, budgeted=("checkout", "search"))

    with sessions() as session:
        overview = scope_outlook(session, "service", "mailer", "USD", as_of=AS_OF)
        alone = forecast_month_outlook(
            _series(session, "mailer"), month_days_observed=14, days_in_month=30
        )
        (checkout, _) = evaluate_budgets(session, month=AS_OF, as_of=AS_OF)
        long = scope_outlook(session, "service", "checkout", "USD", as_of=AS_OF)

    assert overview is not None
    assert long is not None
    assert overview.outlook.forecast_cost == pytest.approx(alone.forecast_cost)
    assert overview.outlook.month_end_range(80) != pytest.approx(alone.month_end_range(80))
    # A long scope keeps its own calibration whatever it is forecast with.
    assert long.outlook.month_end_range(80) == pytest.approx(
        (checkout.check.forecast_low80, checkout.check.forecast_high80)
    )
