"""Fleet read models return hand-computed numbers on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session, sessionmaker

from data.db import make_engine, make_sessions
from data.repos import costs, fleet, services, usage
from data.repos.costs import DailyCost
from data.repos.fleet import Filters
from data.settings import Settings
from engine.service import Sla
from engine.usage import UsageWindow
from tests.factories import make_k8s_config, make_new_service, make_usage, make_vm_config

TODAY = date(2026, 11, 30)
USAGE_END = datetime(2026, 12, 1, tzinfo=UTC)
WEEK_START = USAGE_END - timedelta(days=7)
HOURS_7D = 168
ALL = Filters()


def _cost(service_id: int | None, day: date, amount: float, **overrides: object) -> DailyCost:
    fields: dict[str, object] = {
        "service_id": service_id,
        "charge_date": day,
        "service_category": "Compute",
        "billing_currency": "USD",
        "billed_cost": amount,
        "effective_cost": amount,
        "list_cost": amount * 1.25,
        "provider": "aws",
    }
    fields.update(overrides)
    return DailyCost(**fields)  # type: ignore[arg-type]


def _days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]


LAST_30 = _days(TODAY - timedelta(days=29), 30)
PREV_30 = _days(TODAY - timedelta(days=59), 30)


@pytest.fixture
def fleet_ids(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Three services with known costs and a week of usage.

    checkout (payments, prod, vm, 3 × 2 vCPU): USD 8 compute + 2 storage a day for the last 30
    days, 8 a day the 30 before, 1000 on day -60 (outside every window); 2 of 168 hours over
    its 250 ms target. search (search, prod, k8s, 4 × 500m): USD 5 a day for the last 30
    days; 1 of 168 hours over 100 ms, plus a day of 500 ms just before the week.
    etl (data, dev, vm): EUR 7 on the last day, no latency samples. Unallocated: USD 1 a day.
    """
    with sessions.begin() as session:
        checkout, search, etl = services.add_services(
            session,
            [
                make_new_service("checkout", team="payments"),
                make_new_service(
                    "search",
                    team="search",
                    platform="kubernetes",
                    sla=Sla(
                        latency_p95_target_ms=100.0,
                        availability_target_pct=99.9,
                        max_error_rate_pct=1.0,
                    ),
                ),
                make_new_service("etl", team="data", environment="dev"),
            ],
            now=WEEK_START,
        )
        services.set_capacity(session, checkout.id, make_vm_config(), actor="t", now=WEEK_START)
        services.set_capacity(session, search.id, make_k8s_config(), actor="t", now=WEEK_START)
        services.set_capacity(session, etl.id, make_vm_config(), actor="t", now=WEEK_START)
        costs.insert_daily_costs(
            session,
            [_cost(checkout.id, d, 8.0) for d in LAST_30 + PREV_30]
            + [_cost(checkout.id, d, 2.0, service_category="Storage") for d in LAST_30]
            + [_cost(checkout.id, TODAY - timedelta(days=60), 1000.0)]
            + [_cost(search.id, d, 5.0) for d in LAST_30]
            + [_cost(None, d, 1.0) for d in LAST_30]
            + [_cost(etl.id, TODAY, 7.0, billing_currency="EUR", provider="azure")],
        )
        usage.insert_usage(session, _checkout_week(checkout.id), source="test")
        usage.insert_usage(session, _search_week(search.id), source="test")
        etl_latency = np.full(HOURS_7D, np.nan)
        usage.insert_usage(
            session,
            make_usage(etl.id, hours=HOURS_7D, start=WEEK_START, latency_p95_ms=etl_latency),
            source="test",
        )
    return {"checkout": checkout.id, "search": search.id, "etl": etl.id}


def _checkout_week(service_id: int) -> UsageWindow:
    # Utilization k/2 % for k = 1..168 on 6 cores, shuffled so the SQL must sort.
    rng = np.random.default_rng(7)
    cpu_mean = rng.permutation(6.0 * np.arange(1, HOURS_7D + 1) / 200.0)
    latency = np.full(HOURS_7D, 200.0)
    latency[[10, 100]] = 300.0
    return make_usage(
        service_id,
        hours=HOURS_7D,
        start=WEEK_START,
        cpu_used_mean_cores=cpu_mean,
        latency_p95_ms=latency,
    )


def _search_week(service_id: int) -> UsageWindow:
    hours = HOURS_7D + 24
    latency = np.full(hours, 80.0)
    latency[:24] = 500.0
    latency[50] = 150.0
    return make_usage(
        service_id, hours=hours, start=WEEK_START - timedelta(days=1), latency_p95_ms=latency
    )


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
            session, [_cost(svc.id, d, 12.0) for d in _days(TODAY - timedelta(days=9), 10)]
        )

    with sessions() as session:
        kpis = fleet.fleet_kpis(session, filters=ALL, today=TODAY, usage_end=USAGE_END)
        table = fleet.services_table(session, filters=ALL, today=TODAY, usage_end=USAGE_END)

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
        table = fleet.services_table(session, filters=ALL, today=TODAY, usage_end=USAGE_END)

    assert kpis.services_breaching_sla_7d == 0
    assert table["sla_status"].tolist() == ["within"]


def test_breaching_services_lists_the_breach_with_its_share_and_cost(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    with sessions() as session:
        frame = fleet.breaching_services(session, filters=ALL, today=TODAY, usage_end=USAGE_END)

    (row,) = frame.itertuples(index=False)
    assert (row.slug, row.sla_breach_hours_7d, row.latency_hours_7d) == ("checkout", 2, 168)
    assert row.breach_share_pct == pytest.approx(2 / 168 * 100)
    assert row.monthly_effective_cost == pytest.approx(300 * 730 / 720)


def test_services_table_p95_cpu_utilization_is_nearest_rank_in_sql(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    expected = np.percentile(np.arange(1, HOURS_7D + 1) / 2.0, 95, method="inverted_cdf")

    with sessions() as session:
        table = fleet.services_table(session, filters=ALL, today=TODAY, usage_end=USAGE_END)

    checkout = table.set_index("slug").loc["checkout"]
    assert expected == 80.0
    assert checkout["cpu_p95_utilization_pct"] == pytest.approx(expected)


def test_services_table_rows_sorted_by_monthly_cost_with_status_and_config(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    with sessions() as session:
        table = fleet.services_table(session, filters=ALL, today=TODAY, usage_end=USAGE_END)

    assert table["slug"].tolist() == ["checkout", "search", "etl"]
    assert table["monthly_effective_cost"].tolist() == pytest.approx(
        [300 * 730 / 720, 150 * 730 / 720, 7 * 730 / 720]
    )
    assert table["billing_currency"].tolist() == ["USD", "USD", "EUR"]
    assert table["sla_status"].tolist() == ["breaching", "within", "no_data"]
    assert table["config_summary"].tolist() == ["m5.large", "500m CPU / 1 GiB", "m5.large"]
    assert table["replicas"].tolist() == [3, 4, 3]


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


def test_service_daily_costs_split_by_category(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    with sessions() as session:
        frame = fleet.service_daily_costs(session, fleet_ids["checkout"], TODAY, TODAY)

    assert frame["service_category"].tolist() == ["Compute", "Storage"]
    assert frame["effective_cost"].tolist() == pytest.approx([8.0, 2.0])
    assert frame["list_cost"].tolist() == pytest.approx([10.0, 2.5])


def test_service_usage_is_half_open_with_current_capacity(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    with sessions() as session:
        frame = fleet.service_usage(
            session, fleet_ids["checkout"], WEEK_START, WEEK_START + timedelta(hours=24)
        )

    assert len(frame) == 24
    assert frame["hour_start"].iloc[0] == WEEK_START
    assert set(frame["cpu_capacity_cores"]) == {6.0}
    assert set(frame["memory_capacity_gib"]) == {24.0}


def test_fleet_status_reports_newest_data(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    with sessions() as session:
        status = fleet.fleet_status(session)

    assert status.schema_ready
    assert status.services == 3
    assert status.today == TODAY
    assert status.first_cost_date == TODAY - timedelta(days=60)
    assert status.usage_hour == USAGE_END - timedelta(hours=1)
    assert status.usage_end == USAGE_END


def test_fleet_status_of_empty_database(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        status = fleet.fleet_status(session)

    assert (status.schema_ready, status.services, status.today) == (True, 0, None)


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
