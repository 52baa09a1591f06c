"""Per-service read models return hand-computed numbers on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy.orm import Session, sessionmaker

from data.repos import service_views
from tests.data.fleet_world import ALL, HOURS_7D, TODAY, USAGE_END, WEEK_START, seed_fleet


@pytest.fixture
def fleet_ids(sessions: sessionmaker[Session]) -> dict[str, int]:
    return seed_fleet(sessions)


def test_breaching_services_lists_the_breach_with_its_share_and_cost(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    with sessions() as session:
        frame = service_views.breaching_services(
            session, filters=ALL, today=TODAY, usage_end=USAGE_END
        )

    (row,) = frame.itertuples(index=False)
    assert (row.slug, row.sla_breach_hours_7d, row.latency_hours_7d) == ("checkout", 2, 168)
    assert row.breach_share_pct == pytest.approx(2 / 168 * 100)
    assert row.monthly_effective_cost == pytest.approx(300 * 730 / 720)


def test_services_table_p95_cpu_utilization_is_nearest_rank_in_sql(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    expected = np.percentile(np.arange(1, HOURS_7D + 1) / 2.0, 95, method="inverted_cdf")

    with sessions() as session:
        table = service_views.services_table(session, filters=ALL, today=TODAY, usage_end=USAGE_END)

    checkout = table.set_index("slug").loc["checkout"]
    assert expected == 80.0
    assert checkout["cpu_p95_utilization_pct"] == pytest.approx(expected)


def test_services_table_rows_sorted_by_monthly_cost_with_status_and_config(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    with sessions() as session:
        table = service_views.services_table(session, filters=ALL, today=TODAY, usage_end=USAGE_END)

    assert table["slug"].tolist() == ["checkout", "search", "etl"]
    assert table["monthly_effective_cost"].tolist() == pytest.approx(
        [300 * 730 / 720, 150 * 730 / 720, 7 * 730 / 720]
    )
    assert table["billing_currency"].tolist() == ["USD", "USD", "EUR"]
    assert table["sla_status"].tolist() == ["breaching", "within", "no_data"]
    assert table["config_summary"].tolist() == ["m5.large", "500m CPU / 1 GiB", "m5.large"]
    assert table["replicas"].tolist() == [3, 4, 3]


def test_service_daily_costs_split_by_category(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    with sessions() as session:
        frame = service_views.service_daily_costs(session, fleet_ids["checkout"], TODAY, TODAY)

    assert frame["service_category"].tolist() == ["Compute", "Storage"]
    assert frame["effective_cost"].tolist() == pytest.approx([8.0, 2.0])
    assert frame["list_cost"].tolist() == pytest.approx([10.0, 2.5])


def test_service_usage_is_half_open_with_current_capacity(
    sessions: sessionmaker[Session], fleet_ids: dict[str, int]
) -> None:
    with sessions() as session:
        frame = service_views.service_usage(
            session, fleet_ids["checkout"], WEEK_START, WEEK_START + timedelta(hours=24)
        )

    assert len(frame) == 24
    assert frame["hour_start"].iloc[0] == WEEK_START
    assert set(frame["cpu_capacity_cores"]) == {6.0}
    assert set(frame["memory_capacity_gib"]) == {24.0}
