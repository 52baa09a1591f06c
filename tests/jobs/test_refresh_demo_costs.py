"""Demo costs advance with the live usage: month-to-date restated, never counted twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.connectors.demo.live import extend_demo_usage
from data.connectors.demo.live_costs import refresh_demo_costs
from data.models import CostDailyRow, IngestedFileRow
from data.repos.services import current_config, list_services, set_capacity
from engine.catalog import Catalog

SEED, SERVICES = 7, 6
END = datetime(2026, 11, 29, 12, tzinfo=UTC)  # mid-day, two and a half days before December


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def demo(sessions: sessionmaker[Session], catalog: Catalog) -> sessionmaker[Session]:
    seed_demo_fleet(sessions, catalog, seed=SEED, n_services=SERVICES, days=20, end=END)
    return sessions


def _advance(sessions: sessionmaker[Session], catalog: Catalog, until: datetime) -> int:
    extend_demo_usage(sessions, catalog, seed=SEED, n_services=SERVICES, until=until)
    return refresh_demo_costs(sessions, catalog, seed=SEED, n_services=SERVICES, until=until)


def _daily(sessions: sessionmaker[Session], *, services_only: bool = False) -> dict[date, Decimal]:
    query = select(CostDailyRow.charge_date, func.sum(CostDailyRow.effective_cost))
    if services_only:  # the support plan and shared networking follow month-to-date spend
        query = query.where(CostDailyRow.service_id.is_not(None))
    with sessions() as session:
        rows = session.execute(query.group_by(CostDailyRow.charge_date))
        return {day: Decimal(total) for day, total in rows}


def _delivered_total(sessions: sessionmaker[Session]) -> Decimal:
    """Σ EffectiveCost of every delivery still in force (loaded, not superseded)."""
    with sessions() as session:
        files = session.scalars(
            select(IngestedFileRow).where(
                IngestedFileRow.status == "loaded", IngestedFileRow.superseded_at.is_(None)
            )
        )
        return sum((Decimal(f.totals["USD"]["effective_cost"]) for f in files), Decimal(0))


def test_new_days_arrive_and_earlier_days_keep_their_cost(
    demo: sessionmaker[Session], catalog: Catalog
) -> None:
    before = _daily(demo, services_only=True)

    rows = _advance(demo, catalog, END + timedelta(days=3, hours=6))  # into December
    after = _daily(demo, services_only=True)

    assert rows > 0
    assert max(after) == date(2026, 12, 2)
    # Whole days delivered before stay exactly as they were: restated, not added again.
    settled = [day for day in before if day < END.date()]
    assert {d: after[d] for d in settled} == {d: before[d] for d in settled}
    assert after[END.date()] > before[END.date()]  # the partial day filled up
    stored = sum(_daily(demo).values(), Decimal(0))
    assert abs(stored - _delivered_total(demo)) < Decimal("0.01")


def test_refreshing_again_without_new_usage_loads_nothing(
    demo: sessionmaker[Session], catalog: Catalog
) -> None:
    until = END + timedelta(hours=10)
    _advance(demo, catalog, until)
    once = _daily(demo)

    again = refresh_demo_costs(demo, catalog, seed=SEED, n_services=SERVICES, until=until)

    assert again == 0
    assert _daily(demo) == once


def test_an_applied_cut_lowers_the_cost_of_the_hours_after_it(
    demo: sessionmaker[Session], catalog: Catalog
) -> None:
    with demo.begin() as session:
        service = list_services(session)[0]
        config = current_config(session, service.id)
        halved = replace(config, replicas=max(config.replicas // 2, 1))
        set_capacity(session, service.id, halved, actor="test", now=END + timedelta(hours=12))
    day_before, day_after = date(2026, 11, 29), date(2026, 11, 30)

    _advance(demo, catalog, END + timedelta(days=1, hours=12))

    compute = _compute_by_day(demo, service.id)
    assert compute[day_after] < compute[day_before]
    assert compute[day_after] == pytest.approx(
        compute[day_before] * halved.replicas / config.replicas, rel=0.02
    )


def _compute_by_day(sessions: sessionmaker[Session], service_id: int) -> dict[date, float]:
    with sessions() as session:
        rows = session.execute(
            select(CostDailyRow.charge_date, func.sum(CostDailyRow.list_cost))
            .where(
                CostDailyRow.service_id == service_id, CostDailyRow.service_category == "Compute"
            )
            .group_by(CostDailyRow.charge_date)
        )
        return {day: float(total) for day, total in rows}


def test_a_database_the_demo_did_not_seed_gets_no_demo_costs(
    sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    rows = refresh_demo_costs(sessions, catalog, seed=SEED, n_services=SERVICES, until=END)

    assert rows == 0
    assert _daily(sessions) == {}
