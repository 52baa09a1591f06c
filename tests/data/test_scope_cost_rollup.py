"""The sidecar's fleet and team daily cost series (scope_cost_series, decision 031): the
forecasts read them only while the cost and service tables match their stamp and they cover the
days, and get the same series to the bit as summing the cost rows; otherwise they sum the rows.
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.models import CostDailyRow, ScopeCostSeriesRow, ServiceCostDailyRow
from data.repos import budget_status, costs, services
from data.repos.budget_status import FLEET_KEY, ScopeKey, scope_daily_costs
from data.settings import Settings
from engine.arrays import FloatArray
from jobs.context import JobContext
from jobs.definitions import default_jobs
from jobs.runner import run_job
from tests.data.fleet_world import STAMP_CHANGES, change_costs_or_services, cost
from tests.factories import make_new_service

TODAY = date(2026, 11, 30)
NOW = datetime(2026, 12, 1, 6, tzinfo=UTC)
TEAMS = ("payments", "search", "data")
SCOPES = [("fleet", FLEET_KEY), ("team", "payments"), ("team", "search"), ("team", "ops")]
START, END = TODAY - timedelta(days=90), TODAY - timedelta(days=2)
SPOILED = 99_999.0


@pytest.fixture
def fleet(sessions: sessionmaker[Session]) -> None:
    """Six services in three teams, 80 days of cost in two currencies, some days without any;
    unallocated cost, part of it given to team "ops" by an account rule."""
    rng = np.random.default_rng(25)
    with sessions.begin() as session:
        drafts = [make_new_service(f"svc-{i}", team=TEAMS[i % 3]) for i in range(6)]
        added = services.add_services(session, drafts, now=NOW)
        owners: list[tuple[int | None, str | None]] = [(s.id, None) for s in added]
        rows = [
            cost(owner, TODAY - timedelta(days=d), float(rng.gamma(2.0, 5.0)),
                 billing_currency=currency, sub_account_id=account)
            for owner, account in [*owners, (None, None), (None, "ops-account")]
            for d in range(80)
            for currency in ("USD", "EUR")
            if rng.random() > 0.15
        ]  # fmt: skip
        costs.insert_daily_costs(session, rows)
        session.execute(  # as an account rule allocates it
            update(CostDailyRow)
            .where(CostDailyRow.sub_account_id == "ops-account")
            .values(team="ops")
        )


def _series(sessions: sessionmaker[Session], start: date = START) -> dict[ScopeKey, FloatArray]:
    with sessions() as session:
        return scope_daily_costs(session, SCOPES, start=start, end=END)


def _refresh(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        return budget_status.refresh_scope_cost_rollup(session, now=NOW)


def _spoil(sessions: sessionmaker[Session]) -> None:
    """A value no sum gives: shows whether the series were read from the rollup."""
    with sessions.begin() as session:
        for row in session.scalars(select(ScopeCostSeriesRow)):
            row.daily_cost = {"costs": [SPOILED] * len(row.daily_cost["costs"])}


def _assert_same(found: dict[ScopeKey, FloatArray], expected: dict[ScopeKey, FloatArray]) -> None:
    assert sorted(found) == sorted(expected)
    for key, series in expected.items():
        np.testing.assert_array_equal(found[key], series, err_msg=str(key))


def test_the_rollup_gives_the_summed_series_to_the_bit(
    sessions: sessionmaker[Session], fleet: None
) -> None:
    summed = _series(sessions)

    assert _refresh(sessions) == 2 * (1 + 4)  # fleet and four teams (ops too), two currencies
    read = _series(sessions)

    _assert_same(read, summed)
    assert ("team", "ops", "USD") in read  # unallocated cost an account rule gave a team
    assert ("team", "data", "USD") not in read  # stored, but not asked for
    assert np.isnan(read[("fleet", FLEET_KEY, "USD")][0])  # before the first cost
    assert not np.isnan(read[("fleet", FLEET_KEY, "USD")][-20:]).any()


def test_the_series_are_read_from_the_rollup_while_the_stamp_holds(
    sessions: sessionmaker[Session], fleet: None
) -> None:
    _refresh(sessions)
    _spoil(sessions)

    assert _series(sessions)[("team", "search", "EUR")].max() == SPOILED


@pytest.mark.parametrize("change", STAMP_CHANGES)
def test_a_change_to_the_costs_or_services_makes_the_forecasts_sum_the_rows(
    sessions: sessionmaker[Session], fleet: None, change: str
) -> None:
    _refresh(sessions)
    _spoil(sessions)
    with sessions.begin() as session:
        change_costs_or_services(session, change, day=END, now=NOW)

    assert np.nanmax(_series(sessions)[("team", "search", "EUR")]) < SPOILED


def test_days_the_rollup_does_not_cover_are_summed(
    sessions: sessionmaker[Session], fleet: None
) -> None:
    _refresh(sessions)
    with sessions.begin() as session:
        session.execute(update(ScopeCostSeriesRow).values(first_day=START + timedelta(days=1)))
    _spoil(sessions)

    assert np.nanmax(_series(sessions)[("team", "search", "EUR")]) < SPOILED


def test_the_sidecar_job_writes_the_series_after_the_cost_refresh(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session], fleet: None
) -> None:
    names = [job.name for job in default_jobs(60)]
    job = next(job for job in default_jobs(60) if job.name == "rollup_costs")
    ctx = JobContext(settings, db_engine, sessions, load_catalog(), clock=lambda: NOW)

    result = run_job(ctx, job, now=True)

    assert names.index("refresh_costs") < names.index("rollup_costs")
    assert names.index("rollup_costs") < names.index("check_budgets")
    with sessions() as session:
        stored = session.scalars(select(ScopeCostSeriesRow)).all()
        # The same job writes the Overview's per-service daily cost (test_cost_rollup).
        service_days = session.scalar(select(func.count()).select_from(ServiceCostDailyRow))
    assert (result.status, result.rows) == ("success", 10 + (service_days or 0))
    assert len(stored) == 10
    assert {(row.first_day, row.last_day) for row in stored} == {
        (TODAY - timedelta(days=budget_status.ROLLUP_DAYS - 1), TODAY)
    }
