"""The sidecar's 7-day usage rollup (service_usage_7d, decision 031): the pages read it only
while it covers the window, and show the same p95 CPU and SLA hours to the bit as the hourly
rows; stale or missing, they count the hours themselves. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.models import ServiceRow, ServiceUsage7dRow
from data.repos import service_views, services, usage
from data.repos.fleet import Filters, fleet_kpis
from data.repos.usage_rollup import refresh_service_usage_7d
from data.settings import Settings
from jobs.context import JobContext
from jobs.definitions import default_jobs
from jobs.runner import run_job
from tests.factories import make_new_service, make_usage, make_vm_config

TODAY = date(2026, 11, 30)
USAGE_END = datetime(2026, 11, 30, 13, tzinfo=UTC)  # the newest hour ends here
FIRST_HOUR = USAGE_END - timedelta(days=9)
HOURS = 9 * 24
SENTINEL_CORES = 1234.5


@pytest.fixture
def fleet(sessions: sessionmaker[Session]) -> list[int]:
    """Eight services with random CPU and latency (target 250 ms; from well within to breaching,
    a fifth of the hours unsampled): #6 has no config, #7 only hours older than the window,
    #5 no latency sample at all; teams alternate between payments and search."""
    rng = np.random.default_rng(31)
    ids = []
    with sessions.begin() as session:
        teams = ("payments", "search")
        drafts = [make_new_service(f"svc-{i}", team=teams[i % 2]) for i in range(8)]
        for i, svc in enumerate(services.add_services(session, drafts, now=FIRST_HOUR)):
            ids.append(svc.id)
            if i != 6:
                config = make_vm_config(replicas=int(rng.integers(1, 5)))
                services.set_capacity(session, svc.id, config, actor="t", now=FIRST_HOUR)
            hours = 24 if i == 7 else HOURS
            cpu = rng.gamma(2.0, 0.7, hours)
            cpu[rng.random(hours) < 0.1] = np.round(cpu[0], 3)  # ties
            latency = _latency_ms(rng, hours, centre_ms=150.0 + 20.0 * i, sampled=i != 5)
            window = make_usage(
                svc.id,
                hours=hours,
                start=FIRST_HOUR,
                cpu_used_mean_cores=cpu,
                latency_p95_ms=latency,
            )
            usage.insert_usage(session, window, source="test")
    return ids


def _latency_ms(
    rng: np.random.Generator, hours: int, *, centre_ms: float, sampled: bool
) -> np.ndarray:
    """Hourly p95 latency around `centre_ms`; NaN (no sample) in a fifth of the hours, or all."""
    latency = rng.normal(centre_ms, 25.0, hours)
    latency[rng.random(hours) < 0.2] = np.nan
    return latency if sampled else np.full(hours, np.nan)


def _p95(sessions: sessionmaker[Session], usage_end: datetime = USAGE_END) -> pd.Series:
    with sessions() as session:
        table = service_views.services_table(
            session, filters=Filters(), today=TODAY, usage_end=usage_end
        )
    return table.set_index("service_id")["cpu_p95_utilization_pct"].sort_index()


def _refresh(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        return refresh_service_usage_7d(session, now=USAGE_END)


def _spoil(sessions: sessionmaker[Session], service_id: int) -> None:
    """A value the hours cannot give: shows whether the table read the rollup."""
    with sessions.begin() as session:
        session.execute(
            update(ServiceUsage7dRow)
            .where(ServiceUsage7dRow.service_id == service_id)
            .values(cpu_used_p95_cores=SENTINEL_CORES)
        )


def test_the_rollup_gives_the_figure_of_the_hourly_rows_to_the_bit(
    sessions: sessionmaker[Session], fleet: list[int]
) -> None:
    ranked = _p95(sessions)  # no rollup yet: ranked from the hours

    assert _refresh(sessions) == len(fleet)
    from_rollup = _p95(sessions)

    pd.testing.assert_series_equal(from_rollup, ranked, check_exact=True)
    assert ranked[fleet[6]] != ranked[fleet[6]]  # no config: no utilization (NaN)
    assert ranked[fleet[7]] != ranked[fleet[7]]  # no hours in the window
    assert ranked.notna().sum() == 6


def test_the_table_reads_the_rollup_while_it_covers_the_window(
    sessions: sessionmaker[Session], fleet: list[int]
) -> None:
    _refresh(sessions)
    _spoil(sessions, fleet[0])

    assert _p95(sessions)[fleet[0]] > 1000  # read from the rollup
    assert _p95(sessions, USAGE_END + timedelta(hours=1))[fleet[0]] < 100  # stale: the hours


def test_a_service_missing_from_the_rollup_makes_the_table_rank_the_hours(
    sessions: sessionmaker[Session], fleet: list[int]
) -> None:
    _refresh(sessions)
    _spoil(sessions, fleet[0])
    with sessions.begin() as session:
        (late,) = services.add_services(session, [make_new_service("late")], now=USAGE_END)
        services.set_capacity(session, late.id, make_vm_config(), actor="t", now=USAGE_END)

    assert _p95(sessions)[fleet[0]] < 100


def test_an_applied_change_shows_at_once_through_the_rollup(
    sessions: sessionmaker[Session], fleet: list[int]
) -> None:
    _refresh(sessions)
    before = _p95(sessions)[fleet[0]]
    with sessions.begin() as session:
        config = make_vm_config(replicas=8)
        services.set_capacity(session, fleet[0], config, actor="t", now=USAGE_END)
    after = _p95(sessions)
    with sessions.begin() as session:
        session.execute(update(ServiceUsage7dRow).values(window_end=FIRST_HOUR))  # now stale

    assert after[fleet[0]] < before
    pd.testing.assert_series_equal(after, _p95(sessions), check_exact=True)


def test_the_sidecar_job_writes_the_rollup_after_usage_collection(
    settings: Settings, db_engine: Engine, sessions: sessionmaker[Session], fleet: list[int]
) -> None:
    names = [job.name for job in default_jobs(60)]
    job = next(job for job in default_jobs(60) if job.name == "rollup_usage")
    ctx = JobContext(settings, db_engine, sessions, load_catalog(), clock=lambda: USAGE_END)

    result = run_job(ctx, job, now=True)

    assert names.index("collect_usage") < names.index("rollup_usage")
    assert names.index("rollup_usage") < names.index("recompute")
    assert (result.status, result.rows) == ("success", len(fleet))
    with sessions() as session:
        stored = session.query(ServiceUsage7dRow).all()
    assert {row.window_end for row in stored} == {USAGE_END}
    assert {row.service_id: row.hours for row in stored}[fleet[7]] == 0


SLA_COLUMNS = ["sla_breach_hours_7d", "latency_hours_7d", "sla_status"]


def _sla_views(
    sessions: sessionmaker[Session], filters: Filters, usage_end: datetime = USAGE_END
) -> tuple[int, pd.DataFrame, pd.DataFrame]:
    """What the Overview and the Services page show of the SLA: the breach count, the breaching
    table, and the services table's SLA columns."""
    with sessions() as session:
        kpis = fleet_kpis(session, filters=filters, today=TODAY, usage_end=usage_end)
        breaching = service_views.breaching_services(
            session, filters=filters, today=TODAY, usage_end=usage_end
        )
        table = service_views.services_table(
            session, filters=filters, today=TODAY, usage_end=usage_end
        )
    return kpis.services_breaching_sla_7d, breaching, table.set_index("service_id")[SLA_COLUMNS]


def _assert_same_sla(
    got: tuple[int, pd.DataFrame, pd.DataFrame], want: tuple[int, pd.DataFrame, pd.DataFrame]
) -> None:
    assert got[0] == want[0]
    pd.testing.assert_frame_equal(got[1], want[1], check_exact=True)
    pd.testing.assert_frame_equal(got[2].sort_index(), want[2].sort_index(), check_exact=True)


@pytest.mark.parametrize("team", [None, "search"])
def test_the_rollup_gives_the_sla_figures_of_the_hourly_rows_to_the_bit(
    sessions: sessionmaker[Session], fleet: list[int], team: str | None
) -> None:
    filters = Filters(teams=(team,)) if team else Filters()
    counted = _sla_views(sessions, filters)  # no rollup yet: counted over the hours

    _refresh(sessions)
    from_rollup = _sla_views(sessions, filters)

    _assert_same_sla(from_rollup, counted)
    statuses = set(counted[2]["sla_status"])
    assert 0 < counted[0] < len(counted[2])  # some breach, some do not
    assert {"breaching", "within"} <= statuses
    assert "no_data" in statuses  # #5 (no samples) and #7 (no hours) are in both
    assert team is None or set(counted[1]["team"]) == {team}


def _spoil_sla(sessions: sessionmaker[Session], service_id: int) -> None:
    """Every sampled hour over target: a breach the hours do not give."""
    with sessions.begin() as session:
        session.execute(
            update(ServiceUsage7dRow)
            .where(ServiceUsage7dRow.service_id == service_id)
            .values(breach_hours=ServiceUsage7dRow.latency_hours)
        )


def test_the_overview_reads_the_breaches_from_the_rollup_while_it_covers_the_window(
    sessions: sessionmaker[Session], fleet: list[int]
) -> None:
    _refresh(sessions)
    counted = _sla_views(sessions, Filters())
    within = counted[2].index[counted[2]["sla_status"] == "within"][0]
    _spoil_sla(sessions, int(within))

    spoiled = _sla_views(sessions, Filters())
    stale_end = USAGE_END + timedelta(hours=1)
    with sessions.begin() as session:
        session.execute(update(ServiceUsage7dRow).values(window_end=stale_end - timedelta(days=1)))

    assert spoiled[0] == counted[0] + 1  # read from the rollup
    assert within in set(spoiled[1]["service_id"])
    assert spoiled[2].loc[within, "sla_status"] == "breaching"
    _assert_same_sla(_sla_views(sessions, Filters()), counted)  # stale: the hours


def test_a_changed_latency_target_makes_the_pages_count_the_hours(
    sessions: sessionmaker[Session], fleet: list[int]
) -> None:
    """#0 is well within 250 ms and over 100 ms in every sampled hour: under the new target
    it breaches, which the rollup (counted against 250 ms) cannot show."""
    _refresh(sessions)
    with sessions.begin() as session:
        session.execute(
            update(ServiceRow).where(ServiceRow.id == fleet[0]).values(latency_p95_target_ms=100.0)
        )
    with sessions() as session:
        kpis = fleet_kpis(session, filters=Filters(), today=TODAY, usage_end=USAGE_END)
    with sessions.begin() as session:
        session.execute(update(ServiceUsage7dRow).values(window_end=FIRST_HOUR))  # now stale
    counted = _sla_views(sessions, Filters())

    assert counted[2].loc[fleet[0], "sla_status"] == "breaching"
    assert kpis.services_breaching_sla_7d == counted[0]


def test_a_service_reactivated_after_the_rollup_shows_its_hours(
    sessions: sessionmaker[Session], fleet: list[int]
) -> None:
    counted = _sla_views(sessions, Filters())
    with sessions.begin() as session:
        session.execute(update(ServiceRow).where(ServiceRow.id == fleet[4]).values(active=False))
    _refresh(sessions)
    with sessions.begin() as session:
        session.execute(update(ServiceRow).where(ServiceRow.id == fleet[4]).values(active=True))

    assert counted[2].loc[fleet[4], "sla_status"] == "breaching"
    _assert_same_sla(_sla_views(sessions, Filters()), counted)
