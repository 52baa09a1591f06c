"""The sidecar's per-service daily cost (service_cost_daily, decision 031 session 7): the
Overview's run-rates, cost by environment and platform, top services and daily cost by team read
it only while the cost and service tables match its stamp and it covers the days, and give the
same figures as summing the cost rows (exact on PostgreSQL's NUMERIC, to the last bits on
SQLite's REAL); otherwise they sum the rows. SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from data.__main__ import seed
from data.catalog import load_catalog
from data.connectors.focus import AllocationRules, ingest_file
from data.db import make_engine, make_sessions
from data.models import CostDailyRow, CostRollupStateRow, ServiceCostDailyRow
from data.repos import cost_rollup, costs, fleet, service_views, services, usage
from data.repos.fleet import Filters
from data.repos.sql import as_date
from data.settings import Settings
from jobs.context import JobContext
from jobs.definitions import default_jobs
from jobs.runner import run_job
from tests.connectors.focus.builders import csv_bytes, focus_row
from tests.data.fleet_world import STAMP_CHANGES, change_costs_or_services, cost
from tests.factories import make_new_service, make_usage

TODAY = date(2026, 11, 30)
NOW = datetime(2026, 12, 1, 6, tzinfo=UTC)
START = TODAY - timedelta(days=29)
SPOILED = 99_999.0
CATEGORIES = ("Compute", "Storage", "Networking")
FILTERS = [
    Filters(),
    Filters(teams=("search",)),
    Filters(environments=("prod",), platforms=("kubernetes",)),
]


@pytest.fixture
def fleet_costs(sessions: sessionmaker[Session]) -> None:
    """Six services (three teams, two environments, two platforms), 100 days of cost in two
    currencies and three categories, some days without any; unallocated cost too."""
    rng = np.random.default_rng(31)
    with sessions.begin() as session:
        drafts = [
            make_new_service(
                f"svc-{i}",
                team=("payments", "search", "data")[i % 3],
                environment=("prod", "staging")[i % 2],
                platform=("vm", "kubernetes")[i // 3],
            )
            for i in range(6)
        ]
        owners: list[int | None] = [s.id for s in services.add_services(session, drafts, now=NOW)]
        rows = [
            cost(owner, TODAY - timedelta(days=d), float(rng.gamma(2.0, 5.0)),
                 billing_currency=currency, service_category=category)
            for owner in [*owners, None]
            for d in range(100)
            for currency in ("USD", "EUR")
            for category in CATEGORIES
            if rng.random() > 0.15
        ]  # fmt: skip
        costs.insert_daily_costs(session, rows)


def _figures(sessions: sessionmaker[Session], filters: Filters, start: date = START) -> Any:
    """What the Overview shows of cost: run-rates, both breakdowns, top services, the trend."""
    with sessions() as session:
        kpis = fleet.fleet_kpis(session, filters=filters, today=TODAY)
        window: dict[str, Any] = {"filters": filters, "start": start, "end": TODAY}
        return {
            "run_rates": kpis.run_rates,
            "environment": fleet.cost_by(session, "environment", **window),
            "platform": fleet.cost_by(session, "platform", **window),
            "top": fleet.top_services_by_cost(session, **window, limit=4),
            "trend": fleet.daily_cost_by_team(session, **window),
        }


def _refresh(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        return cost_rollup.refresh(session, now=NOW)


def _spoil(sessions: sessionmaker[Session]) -> None:
    """A value no sum gives: shows whether the figures were read from the rollup."""
    with sessions.begin() as session:
        session.execute(update(ServiceCostDailyRow).values(effective_cost=SPOILED))


def _spoiled(figures: Any) -> bool:
    return bool(
        figures["environment"]["effective_cost"].max() >= SPOILED
        and figures["run_rates"][0].effective_cost_last_30d >= SPOILED
    )


def _exact(sessions: sessionmaker[Session]) -> bool:
    """PostgreSQL sums NUMERIC exactly whatever the order; SQLite adds REALs in index order."""
    with sessions() as session:
        return session.get_bind().dialect.name == "postgresql"


def _assert_same(found: Any, expected: Any, *, exact: bool) -> None:
    for found_rate, rate in zip(found["run_rates"], expected["run_rates"], strict=True):
        assert found_rate.billing_currency == rate.billing_currency
        for field in ("effective_cost_last_30d", "effective_cost_prev_30d"):
            got, want = getattr(found_rate, field), getattr(rate, field)
            assert got == (want if exact else pytest.approx(want, rel=1e-12)), field
            assert round(got, 2) == round(want, 2), field  # to the cent on both
        assert found_rate.unallocated_cost_last_30d == pytest.approx(
            rate.unallocated_cost_last_30d, rel=0 if exact else 1e-12
        )
    for name in ("environment", "platform", "top", "trend"):
        pd.testing.assert_frame_equal(
            found[name], expected[name], check_exact=exact, rtol=1e-12, atol=0.0, obj=name
        )


@pytest.mark.parametrize("filters", FILTERS, ids=["all", "team", "env+platform"])
def test_the_rollup_gives_the_figures_of_the_rows(
    sessions: sessionmaker[Session], fleet_costs: None, filters: Filters
) -> None:
    summed = _figures(sessions, filters)

    written = _refresh(sessions)
    read = _figures(sessions, filters)

    with sessions() as session:
        rows = session.scalar(select(func.count()).select_from(CostDailyRow)) or 0
        assert cost_rollup.fresh(session, START)
    assert 0 < written < rows / 2  # one row per service, day and currency: fewer than the rows
    assert not _spoiled(read)
    _assert_same(read, summed, exact=_exact(sessions))
    assert len(read["run_rates"]) == 2  # both currencies, never summed together
    if not filters.active:
        assert read["run_rates"][0].unallocated_cost_last_30d > 0


def test_the_figures_are_read_from_the_rollup_while_the_stamp_holds(
    sessions: sessionmaker[Session], fleet_costs: None
) -> None:
    _refresh(sessions)
    _spoil(sessions)

    assert _spoiled(_figures(sessions, Filters()))
    assert _spoiled(_figures(sessions, Filters(teams=("data",))))


@pytest.mark.parametrize("change", [*STAMP_CHANGES, "no rollup"])
def test_a_change_to_the_costs_or_services_makes_the_overview_sum_the_rows(
    sessions: sessionmaker[Session], fleet_costs: None, change: str
) -> None:
    _refresh(sessions)
    _spoil(sessions)
    with sessions.begin() as session:
        if change == "no rollup":
            session.execute(delete(CostRollupStateRow))
        else:
            change_costs_or_services(session, change, day=TODAY, now=NOW)

    summed = _figures(sessions, Filters())

    assert not _spoiled(summed)


def test_a_focus_upload_shows_its_money_at_once_not_the_old_rollup(
    sessions: sessionmaker[Session], fleet_costs: None
) -> None:
    _refresh(sessions)
    before = _figures(sessions, Filters())
    charged = f"{TODAY - timedelta(days=1)}T10:00:00Z"
    upload = focus_row(
        Tags='{"service": "svc-0"}', EffectiveCost="1000.00", BilledCost="1000.00",
        ChargePeriodStart=charged, ChargePeriodEnd=charged.replace("T10", "T11"),
        BillingPeriodStart="2026-11-01T00:00:00Z", BillingPeriodEnd="2026-12-01T00:00:00Z",
    )  # fmt: skip

    ingest_file(sessions, csv_bytes([upload]), source="upload", rules=AllocationRules(), now=NOW)
    after = _figures(sessions, Filters())

    usd = next(r for r in after["run_rates"] if r.billing_currency == "USD")
    usd_before = next(r for r in before["run_rates"] if r.billing_currency == "USD")
    assert usd.effective_cost_last_30d == pytest.approx(usd_before.effective_cost_last_30d + 1000)
    with sessions() as session:
        assert not cost_rollup.fresh(session, START)


def test_days_before_the_rollup_are_summed_from_the_rows(
    sessions: sessionmaker[Session], fleet_costs: None
) -> None:
    _refresh(sessions)
    with sessions.begin() as session:
        session.execute(update(CostRollupStateRow).values(first_day=START + timedelta(days=1)))
    _spoil(sessions)

    assert not _spoiled(_figures(sessions, Filters()))


def test_the_sidecar_job_writes_the_rollup_beside_the_forecast_series(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session], fleet_costs: None
) -> None:
    job = next(job for job in default_jobs(60) if job.name == "rollup_costs")
    ctx = JobContext(settings, db_engine, sessions, load_catalog(), clock=lambda: NOW)

    result = run_job(ctx, job, now=True)

    with sessions() as session:
        state = session.get(CostRollupStateRow, cost_rollup.NAME)
        written = session.scalar(select(func.count()).select_from(ServiceCostDailyRow))
        assert cost_rollup.fresh(session, TODAY - timedelta(days=cost_rollup.ROLLUP_DAYS - 1))
    assert state is not None
    assert (state.first_day, state.last_day) == (
        TODAY - timedelta(days=cost_rollup.ROLLUP_DAYS - 1),
        TODAY,
    )
    assert result.status == "success"
    assert written
    assert result.rows is not None
    assert result.rows > written  # the forecasts' series too


def test_the_demo_seed_writes_a_fresh_rollup(database_url: str) -> None:
    """`python -m data seed` (what `make run` shows at once): the Overview reads the rollup."""
    settings = Settings(
        database_url=database_url, demo_services=4, demo_days=12, clock_fixed_at=NOW, _env_file=None
    )

    assert seed(settings, argparse.Namespace(if_empty=False)) == 0

    engine = make_engine(settings)
    try:
        with make_sessions(engine)() as session:
            newest = as_date(session.scalar(select(func.max(CostDailyRow.charge_date))))
            assert newest is not None
            assert cost_rollup.fresh(session, newest - timedelta(days=11))
    finally:
        engine.dispose()


def _breaching(sessions: sessionmaker[Session]) -> pd.DataFrame:
    with sessions() as session:
        return service_views.breaching_services(session, filters=Filters(), today=TODAY)


def test_the_breaching_table_prices_services_from_the_rollup_as_from_the_rows(
    sessions: sessionmaker[Session], fleet_costs: None
) -> None:
    """Its monthly cost per service and currency; over target (250 ms) every hour: svc-1, 4."""
    with sessions.begin() as session:
        for service in services.list_services(session):
            slow = service.slug in ("svc-1", "svc-4")
            hours = 7 * 24
            window = make_usage(
                service.id, hours=hours, start=NOW - timedelta(hours=hours),
                latency_p95_ms=np.full(hours, 400.0 if slow else 100.0),
            )  # fmt: skip
            usage.insert_usage(session, window, source="test")
    summed = _breaching(sessions)

    _refresh(sessions)
    read = _breaching(sessions)
    _spoil(sessions)
    spoiled = _breaching(sessions)

    assert sorted(set(summed["slug"])) == ["svc-1", "svc-4"]
    assert len(summed) == 4  # two currencies each
    pd.testing.assert_frame_equal(read, summed, check_exact=_exact(sessions), rtol=1e-12, atol=0.0)
    assert spoiled["monthly_effective_cost"].min() > SPOILED  # read from the rollup


def _services_table(sessions: sessionmaker[Session], service_id: int | None) -> pd.DataFrame:
    with sessions() as session:
        return service_views.services_table(
            session, filters=Filters(), today=TODAY, service_id=service_id
        )[["slug", "billing_currency", "monthly_effective_cost"]]


@pytest.mark.parametrize("one_service", [False, True], ids=["fleet", "one service"])
def test_the_services_table_prices_services_from_the_rollup_as_from_the_rows(
    sessions: sessionmaker[Session], fleet_costs: None, one_service: bool
) -> None:
    """Services (and Service detail's row) read the Overview's source: the same figure on both
    pages to the bit, whichever source is fresh."""
    with sessions() as session:
        service_id = services.list_services(session)[2].id if one_service else None
    summed = _services_table(sessions, service_id)

    _refresh(sessions)
    read = _services_table(sessions, service_id)
    _spoil(sessions)
    spoiled = _services_table(sessions, service_id)

    assert len(summed) == (2 if one_service else 12)  # two currencies per service
    pd.testing.assert_frame_equal(read, summed, check_exact=_exact(sessions), rtol=1e-12, atol=0.0)
    assert spoiled["monthly_effective_cost"].min() > SPOILED  # read from the rollup
