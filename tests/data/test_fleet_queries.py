"""Fleet read models return hand-computed numbers on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session, sessionmaker

from data.db import make_engine, make_sessions
from data.repos import costs, fleet, service_views, services, usage
from data.repos.fleet import Filters
from data.settings import Settings
from tests.data.fleet_world import (
    ALL,
    LAST_30,
    TODAY,
    USAGE_END,
    WEEK_START,
    cost,
    days,
    seed_fleet,
)
from tests.factories import make_new_service, make_usage


@pytest.fixture
def fleet_ids(sessions: sessionmaker[Session]) -> dict[str, int]:
    return seed_fleet(sessions)


def test_run_rate_scales_last_30_days_to_730_hours(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    with sessions() as session:
        kpis = fleet.fleet_kpis(session, filters=ALL, today=TODAY, usage_end=USAGE_END)

    usd, eur = kpis.run_rates
    assert usd.billing_currency == "USD"
    assert usd.effective_cost_last_30d == pytest.approx(300 + 150 + 30)
    assert usd.effective_cost_prev_30d == pytest.approx(240)
    assert usd.monthly_run_rate == pytest.approx(480 * 730 / 720)
    assert usd.change_30d_pct == pytest.approx(100.0)
    assert eur.billing_currency == "EUR"
    assert eur.effective_cost_last_30d == pytest.approx(7.0)
    assert eur.change_30d_pct is None


def test_run_rate_of_a_young_history_scales_the_days_it_covers(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        (svc,) = services.add_services(session, [make_new_service()], now=WEEK_START)
        costs.insert_daily_costs(
            session, [cost(svc.id, d, 12.0) for d in days(TODAY - timedelta(days=9), 10)]
        )

    with sessions() as session:
        kpis = fleet.fleet_kpis(session, filters=ALL, today=TODAY, usage_end=USAGE_END)
        table = service_views.services_table(session, filters=ALL, today=TODAY, usage_end=USAGE_END)

    (usd,) = kpis.run_rates
    assert usd.days_in_window == 10
    assert usd.monthly_run_rate == pytest.approx(120 * 730 / (10 * 24))
    assert usd.change_30d_pct is None  # no complete previous window to compare with
    assert table["monthly_effective_cost"].tolist() == pytest.approx([120 * 730 / 240])


def test_team_filter_excludes_other_teams_and_unallocated_cost(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    with sessions() as session:
        kpis = fleet.fleet_kpis(
            session, filters=Filters(teams=("payments",)), today=TODAY, usage_end=USAGE_END
        )

    (usd,) = kpis.run_rates
    assert (usd.effective_cost_last_30d, usd.effective_cost_prev_30d) == (300, 240)
    assert usd.change_30d_pct == pytest.approx(25.0)
    assert kpis.services == 1


def test_breach_counts_services_over_target_in_more_than_1_pct_of_hours(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    with sessions() as session:
        kpis = fleet.fleet_kpis(session, filters=ALL, today=TODAY, usage_end=USAGE_END)

    assert kpis.services == 3
    assert kpis.services_breaching_sla_7d == 1  # checkout: 2/168 = 1.2 %; search: 1/168


def test_exactly_1_pct_of_hours_over_target_is_not_a_breach(
    sessions: sessionmaker[Session],
) -> None:
    latency = np.full(100, 50.0)
    latency[0] = 999.0
    with sessions.begin() as session:
        (svc,) = services.add_services(session, [make_new_service()], now=WEEK_START)
        window = make_usage(svc.id, hours=100, start=WEEK_START, latency_p95_ms=latency)
        usage.insert_usage(session, window, source="test")

    with sessions() as session:
        kpis = fleet.fleet_kpis(session, filters=ALL, today=TODAY, usage_end=USAGE_END)
        table = service_views.services_table(session, filters=ALL, today=TODAY, usage_end=USAGE_END)

    assert kpis.services_breaching_sla_7d == 0
    assert table["sla_status"].tolist() == ["within"]


def test_daily_cost_by_team_keeps_currencies_and_unallocated_apart(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    with sessions() as session:
        frame = fleet.daily_cost_by_team(session, filters=ALL, start=TODAY, end=TODAY)

    rows = {(r.team, r.billing_currency): r.effective_cost for r in frame.itertuples(index=False)}
    assert rows == {
        ("payments", "USD"): 10.0,
        ("search", "USD"): 5.0,
        (fleet.UNALLOCATED, "USD"): 1.0,
        ("data", "EUR"): 7.0,
    }
    assert set(frame["charge_date"]) == {TODAY}


def test_top_services_ranks_by_effective_cost(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    with sessions() as session:
        top = fleet.top_services_by_cost(session, filters=ALL, start=LAST_30[0], end=TODAY, limit=2)

    assert top["slug"].tolist() == ["checkout", "search"]
    assert top["effective_cost"].tolist() == pytest.approx([300.0, 150.0])


def test_cost_by_environment_groups_per_currency(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    with sessions() as session:
        frame = fleet.cost_by(session, "environment", filters=ALL, start=LAST_30[0], end=TODAY)

    rows = {
        (r.environment, r.billing_currency): r.effective_cost for r in frame.itertuples(index=False)
    }
    assert rows == {("prod", "USD"): 450.0, (fleet.UNALLOCATED, "USD"): 30.0, ("dev", "EUR"): 7.0}


def test_cost_by_platform_respects_environment_filter(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    with sessions() as session:
        frame = fleet.cost_by(
            session,
            "platform",
            filters=Filters(environments=("prod",)),
            start=LAST_30[0],
            end=TODAY,
        )

    assert dict(zip(frame["platform"], frame["effective_cost"], strict=True)) == {
        "vm": 300.0,
        "kubernetes": 150.0,
    }


def test_cost_by_rejects_unknown_dimension(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(ValueError, match="dimension"):
        fleet.cost_by(session, "team", filters=ALL, start=TODAY, end=TODAY)  # type: ignore[arg-type]


def test_fleet_status_reports_newest_data(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    with sessions() as session:
        status = fleet.fleet_status(session)

    assert status.schema_ready
    assert status.services == 3
    assert status.newest_day == TODAY
    assert status.first_cost_date == TODAY - timedelta(days=60)
    assert status.usage_hour == USAGE_END - timedelta(hours=1)
    assert status.usage_end == USAGE_END


def test_fleet_status_of_empty_database(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        status = fleet.fleet_status(session)

    assert (status.schema_ready, status.services, status.newest_day) == (True, 0, None)
    assert status.as_of(datetime(2026, 12, 1, 9, tzinfo=UTC)) is None


def test_a_day_still_in_progress_is_not_the_as_of_day(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    """Costs are stored for TODAY, but at 09:00 of TODAY that day is partial: KPIs, trends and
    budgets end the day before, and the page says which day was left out."""
    with sessions() as session:
        status = fleet.fleet_status(session)
    during = datetime.combine(TODAY, time(9), tzinfo=UTC)
    after = datetime.combine(TODAY + timedelta(days=1), time(0, 30), tzinfo=UTC)

    assert (status.as_of(during), status.partial_day(during)) == (
        TODAY - timedelta(days=1),
        TODAY,
    )
    assert (status.as_of(after), status.partial_day(after)) == (TODAY, None)


def test_fleet_status_of_unmigrated_database(tmp_path: Path) -> None:
    engine = make_engine(Settings(database_url=f"sqlite:///{tmp_path / 'blank.db'}"))

    with make_sessions(engine)() as session:
        status = fleet.fleet_status(session)
    engine.dispose()

    assert not status.schema_ready


def test_filter_options_are_sorted_distinct_values(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    with sessions() as session:
        options = fleet.filter_options(session)

    assert options.teams == ("data", "payments", "search")
    assert options.environments == ("dev", "prod")
    assert options.platforms == ("kubernetes", "vm")
