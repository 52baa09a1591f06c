"""Seeding the demo fleet writes it whole via the repositories, once, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.connectors.demo import SeedReport, seed_demo_fleet, seed_if_empty
from data.connectors.demo.fleet import build_fleet
from data.connectors.demo.shapes import usage_window
from data.connectors.demo.well_sized import fit_well_sized
from data.errors import SeedError
from data.models import CapacityConfigRow, CostDailyRow, UsageHourlyRow
from data.repos import costs, services, usage
from engine.catalog import Catalog
from tests.factories import T0

SEED = 7
N_SERVICES = 12
DAYS = 7
CATEGORIES_PER_DAY = 4


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def seed(sessions: sessionmaker[Session], catalog: Catalog) -> SeedReport:
    return seed_demo_fleet(sessions, catalog, seed=SEED, n_services=N_SERVICES, days=DAYS, end=T0)


def row_counts(sessions: sessionmaker[Session]) -> tuple[int, ...]:
    """Rows of (capacity_config, usage_hourly, cost_daily, service)."""
    tables = (CapacityConfigRow, UsageHourlyRow, CostDailyRow)
    with sessions() as session:
        counts = [session.scalar(select(func.count()).select_from(t)) or 0 for t in tables]
        return (*counts, services.count_services(session))


def test_seed_writes_the_expected_rows(sessions: sessionmaker[Session], catalog: Catalog) -> None:
    report = seed(sessions, catalog)

    with sessions() as session:
        unallocated = session.scalar(
            select(func.count()).select_from(CostDailyRow).where(CostDailyRow.service_id.is_(None))
        )
    assert report.services == N_SERVICES
    assert report.usage_rows == N_SERVICES * DAYS * 24
    assert unallocated
    assert report.cost_rows == N_SERVICES * DAYS * CATEGORIES_PER_DAY + unallocated
    assert row_counts(sessions) == (N_SERVICES, report.usage_rows, report.cost_rows, N_SERVICES)
    assert 0 < report.generation_seconds <= report.seconds


def test_seeded_fleet_reads_back_through_the_repositories(
    sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    fleet = build_fleet(catalog, seed=SEED, n_services=N_SERVICES)

    seed(sessions, catalog)

    with sessions() as session:
        listed = {s.slug: s for s in services.list_services(session)}
        configs = services.current_configs(session)
        first = listed[fleet[0].draft.slug]
        window = usage.load_usage(session, first.id, start=T0 - timedelta(days=DAYS), end=T0)
        newest_cost_day = costs.latest_cost_date(session)
    assert set(listed) == {s.draft.slug for s in fleet}
    # Well-sized services are stored at the config the engine keeps on their history.
    fitted = {
        s.draft.slug: fit_well_sized(
            s, usage_window(s, service_id=0, end=T0, days=DAYS), catalog, now=T0
        ).config
        for s in fleet
    }
    assert all(configs[listed[slug].id] == config for slug, config in fitted.items())
    assert all(fitted[s.draft.slug] == s.config for s in fleet if s.archetype != "well-sized")
    expected = usage_window(fleet[0], service_id=first.id, end=T0, days=DAYS)
    np.testing.assert_array_equal(window.hour_start, expected.hour_start)
    np.testing.assert_allclose(window.cpu_used_p95_cores, expected.cpu_used_p95_cores)
    np.testing.assert_allclose(window.latency_p95_ms, expected.latency_p95_ms)
    assert newest_cost_day == (T0 - timedelta(days=1)).date()


def test_a_second_seed_is_refused_and_changes_nothing(
    sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    seed(sessions, catalog)
    before = row_counts(sessions)

    with pytest.raises(SeedError, match="already holds services"):
        seed(sessions, catalog)

    assert row_counts(sessions) == before


def test_seed_if_empty_seeds_once_then_does_nothing(
    sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    first = seed_if_empty(sessions, catalog, seed=SEED, n_services=N_SERVICES, days=DAYS, end=T0)
    before = row_counts(sessions)

    second = seed_if_empty(sessions, catalog, seed=SEED, n_services=N_SERVICES, days=DAYS, end=T0)

    assert first is not None
    assert first.services == N_SERVICES
    assert second is None
    assert row_counts(sessions) == before


def test_a_seed_with_a_bad_end_hour_writes_nothing(
    sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    with pytest.raises(ValueError, match="whole hour"):
        seed_demo_fleet(
            sessions, catalog, seed=SEED, n_services=2, days=1, end=T0 + timedelta(minutes=30)
        )

    assert row_counts(sessions) == (0, 0, 0, 0)
