"""Realized savings read from billed cost and usage in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy.orm import Session, sessionmaker

from data.repos.costs import DailyCost, insert_daily_costs
from data.repos.realized import month_totals, realized_savings
from data.repos.usage import insert_usage
from engine.realized import DAYS_PER_MONTH, NotEnoughData, Realized
from engine.usage import UsageWindow
from tests.data.workflow.world import ADMIN, add_open_rec, make_flow

FIRST = date(2026, 10, 1)
CHANGE_AT = datetime(2026, 10, 29, 10, 20, tzinfo=UTC)  # a Thursday, mid-morning
NOW = datetime(2026, 11, 26, 6, tzinfo=UTC)  # Nov 25 is the last complete day
UNIT_USD = 1e-4  # $100 per million requests before the change …
CUT = 0.3  # … 30 % less per request after it
GROWTH = 1.25  # … while demand grew 25 %


def _requests_per_day(day: date) -> float:
    base = 2e6 * (0.6 if day.weekday() >= 5 else 1.0) * (1 + (day.day % 5) / 50)
    return base * (GROWTH if day > CHANGE_AT.date() else 1.0)


def _cost(day: date) -> float:
    """The change day runs on both: its cost is not comparable and must be left out."""
    unit = UNIT_USD * (1 - CUT) if day > CHANGE_AT.date() else UNIT_USD
    return unit * _requests_per_day(day) * (3.0 if day == CHANGE_AT.date() else 1.0)


def _world(sessions: sessionmaker[Session], *, days: int = 56) -> int:
    """One service billed and measured daily from FIRST; its recommendation applied at
    CHANGE_AT. Returns the change id."""
    rec = add_open_rec(sessions)
    service_id = rec.service_id
    assert service_id is not None
    all_days = [FIRST + timedelta(days=i) for i in range(days)]
    with sessions.begin() as session:
        insert_daily_costs(session, [_billed(service_id, day) for day in all_days])
        insert_usage(session, _usage(service_id, all_days), source="test")
    outcome = make_flow(sessions).apply(ADMIN, rec.id, expected_version=rec.version, now=CHANGE_AT)
    assert outcome.change_id is not None
    return outcome.change_id


def _billed(service_id: int, day: date) -> DailyCost:
    usd = _cost(day)
    return DailyCost(service_id, day, "Compute", "USD", usd, usd, usd, "AWS")


def _usage(service_id: int, days: list[date]) -> UsageWindow:
    """Every hour of the day serves the same rate; the 23:00 hour decides which UTC day a
    database that misreads time zones would count it in."""
    start = np.datetime64(datetime.combine(days[0], datetime.min.time()), "s")
    hours = start + np.arange(len(days) * 24) * np.timedelta64(3600, "s")
    rate = np.repeat([_requests_per_day(d) / 86_400 for d in days], 24)
    ones = np.ones(len(hours))
    return UsageWindow(service_id, hours, ones, ones, ones, rate, ones * 50.0, ones * 0.0)


def test_a_known_cut_under_demand_growth_is_measured(sessions: sessionmaker[Session]) -> None:
    change_id = _world(sessions)

    with sessions() as session:
        (found,) = realized_savings(session, now=NOW)

    assert found.change_id == change_id
    assert isinstance(found.result, Realized)
    assert found.result.pairs == 21  # 27 complete days after: 3 whole weeks
    assert found.demand_unit == "requests"
    assert found.result.demand_change_pct == pytest.approx(25.0, abs=2.0)
    after = [CHANGE_AT.date() + timedelta(days=i) for i in range(1, 22)]
    truth = float(np.mean([UNIT_USD * CUT * _requests_per_day(d) for d in after]))
    assert found.result.monthly_usd == pytest.approx(truth * DAYS_PER_MONTH, rel=1e-6)
    assert found.predicted_monthly_usd == pytest.approx(210.24 - 140.16)


def test_this_month_accrues_the_complete_days_in_effect(sessions: sessionmaker[Session]) -> None:
    _world(sessions)

    with sessions() as session:
        found = realized_savings(session, now=NOW)
    month = month_totals(found, currency="USD")

    (change,) = found
    assert change.days_in_month == 25  # Nov 1 … Nov 25
    assert isinstance(change.result, Realized)
    assert month.realized_usd == pytest.approx(change.result.daily_usd * 25)
    assert month.predicted_usd == pytest.approx((210.24 - 140.16) / DAYS_PER_MONTH * 25)
    assert month.measured == 1


def test_a_rolled_back_change_stops_accruing_at_its_rollback(
    sessions: sessionmaker[Session],
) -> None:
    change_id = _world(sessions)
    make_flow(sessions).rollback(ADMIN, change_id, now=CHANGE_AT + timedelta(days=10))

    with sessions() as session:
        (found,) = realized_savings(session, now=NOW)

    assert found.status == "rolled_back"
    assert isinstance(found.result, Realized)
    assert found.result.pairs == 7  # 9 complete days before the rollback day: one week
    assert found.days_in_month == 7  # Nov 1 … Nov 7: the rollback day (Nov 8) is not counted


def test_a_change_younger_than_a_week_is_not_measured_yet(
    sessions: sessionmaker[Session],
) -> None:
    _world(sessions)

    with sessions() as session:
        (found,) = realized_savings(session, now=CHANGE_AT + timedelta(days=6))

    assert isinstance(found.result, NotEnoughData)
    assert "needs 7 complete days after the change" in found.result.reason
    assert found.month_usd == 0.0
