"""The pages' SQL aggregates equal the pandas computation over the raw rows, on SQLite and
PostgreSQL: SLA hours (kpis, breaching services, the services table) and the date-range cost
sums the covering index of migration 0017 serves (decision 031)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session, sessionmaker

from data.repos import budget_status, costs, fleet, service_views, services, usage
from data.repos.fleet import Filters
from engine.service import Sla
from tests.data.fleet_world import cost
from tests.factories import make_new_service, make_usage, make_vm_config

TODAY = date(2026, 11, 30)
# Not on a day boundary: the 7 × 24 h window cuts two days in the middle.
USAGE_END = datetime(2026, 11, 30, 13, tzinfo=UTC)
FIRST_HOUR = USAGE_END - timedelta(days=9)
HOURS = 9 * 24
TEAMS = ("payments", "search", "data")
CURRENCIES = ("USD", "EUR")


CostRow = tuple[int | None, str | None, str | None, date, str, float]


@dataclass(frozen=True)
class World:
    latency: pd.DataFrame  # service_id, hour_start, latency_p95_ms, target_ms, team
    costs: pd.DataFrame  # service_id, team, environment, charge_date, currency, effective_cost


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    rng = np.random.default_rng(19)
    latency_frames, cost_rows = [], []
    with sessions.begin() as session:
        drafts = [
            make_new_service(
                f"svc-{i}",
                team=TEAMS[i % 3],
                environment=("prod", "dev")[i % 2],
                sla=Sla(float(rng.integers(80, 200)), 99.9, 1.0),
            )
            for i in range(12)
        ]
        added = services.add_services(session, drafts, now=FIRST_HOUR)
        for i, svc in enumerate(added):
            services.set_capacity(session, svc.id, make_vm_config(), actor="t", now=FIRST_HOUR)
            latency = rng.gamma(4.0, 30.0, HOURS)
            latency[rng.random(HOURS) < 0.2] = np.nan  # hours without a sample
            if i == 11:
                latency[:] = np.nan  # no sample at all: "no_data", never breaching
            window = make_usage(svc.id, hours=HOURS, start=FIRST_HOUR, latency_p95_ms=latency)
            usage.insert_usage(session, window, source="test")
            latency_frames.append(
                pd.DataFrame(
                    {
                        "service_id": svc.id,
                        "hour_start": pd.date_range(FIRST_HOUR, periods=HOURS, freq="h"),
                        "latency_p95_ms": latency,
                        "target_ms": svc.sla.latency_p95_target_ms,
                        "team": svc.team,
                    }
                )
            )
            cost_rows += _costs(rng, svc.id, svc.team, svc.environment)
        cost_rows += _costs(rng, None, None, None)  # unallocated
        costs.insert_daily_costs(
            session,
            [cost(s, d, a, billing_currency=c) for s, _, _, d, c, a in cost_rows],
        )
    columns = ["service_id", "team", "environment", "charge_date", "currency", "effective_cost"]
    return World(
        pd.concat(latency_frames, ignore_index=True), pd.DataFrame(cost_rows, columns=columns)
    )


def _costs(
    rng: np.random.Generator, service_id: int | None, team: str | None, environment: str | None
) -> list[CostRow]:
    return [
        (service_id, team, environment, TODAY - timedelta(days=d), currency, amount)
        for d in range(70)
        for currency in CURRENCIES
        if (amount := round(float(rng.gamma(2.0, 5.0)), 4)) > 4.0
    ]


def _sla_reference(world: World, teams: tuple[str, ...] = ()) -> pd.DataFrame:
    """The old pandas computation: hourly rows in, one row per service out."""
    frame = world.latency
    start = pd.Timestamp(USAGE_END - timedelta(days=7))
    frame = frame[(frame["hour_start"] >= start) & (frame["hour_start"] < pd.Timestamp(USAGE_END))]
    if teams:
        frame = frame[frame["team"].isin(teams)]
    frame = frame.assign(over=frame["latency_p95_ms"] > frame["target_ms"])
    return frame.groupby("service_id").agg(
        breach_hours=("over", "sum"), latency_hours=("latency_p95_ms", "count")
    )


def _breaching(reference: pd.DataFrame) -> set[int]:
    hit = reference[
        (reference["latency_hours"] > 0)
        & (reference["breach_hours"] * 100 > reference["latency_hours"])
    ]
    return set(hit.index)


@pytest.mark.parametrize("teams", [(), ("payments", "data")])
def test_sla_hours_in_sql_equal_pandas_over_the_hourly_rows(
    sessions: sessionmaker[Session], world: World, teams: tuple[str, ...]
) -> None:
    reference = _sla_reference(world, teams)
    filters = Filters(teams=teams)
    with sessions() as session:
        table = service_views.services_table(
            session, filters=filters, today=TODAY, usage_end=USAGE_END
        )
        breaching = service_views.breaching_services(
            session, filters=filters, today=TODAY, usage_end=USAGE_END
        )
        kpis = fleet.fleet_kpis(session, filters=filters, today=TODAY, usage_end=USAGE_END)

    hours = table.groupby("service_id")[["sla_breach_hours_7d", "latency_hours_7d"]].first()
    hours.columns = ["breach_hours", "latency_hours"]
    assert 0 < len(_breaching(reference)) < len(reference)  # the data tells the rule apart
    pd.testing.assert_frame_equal(
        hours.astype("int64").sort_index(), reference.astype("int64").sort_index()
    )
    assert set(breaching["service_id"]) == _breaching(reference)
    assert kpis.services_breaching_sla_7d == len(_breaching(reference))


def test_cost_sums_in_sql_equal_pandas_over_the_daily_rows(
    sessions: sessionmaker[Session], world: World
) -> None:
    frame = world.costs
    start = TODAY - timedelta(days=29)
    last_30 = frame[frame["charge_date"] >= start]
    by_env = (
        last_30.fillna({"environment": fleet.UNALLOCATED})
        .groupby(["environment", "currency"])["effective_cost"]
        .sum()
    )
    fleet_daily = frame.groupby(["currency", "charge_date"])["effective_cost"].sum()
    first = TODAY - timedelta(days=69)
    with sessions() as session:
        env = fleet.cost_by(session, "environment", filters=Filters(), start=start, end=TODAY)
        daily = budget_status.scope_daily_costs(
            session, [("fleet", "fleet"), ("team", "payments")], start=first, end=TODAY
        )

    got = env.set_index(["environment", "billing_currency"])["effective_cost"].sort_index()
    assert got.to_numpy() == pytest.approx(by_env.sort_index().to_numpy())
    assert list(got.index) == list(by_env.sort_index().index)
    for currency in CURRENCIES:
        series = fleet_daily[currency].reindex(
            pd.Index([first + timedelta(days=d) for d in range(70)])
        )
        assert daily[("fleet", "fleet", currency)] == pytest.approx(series.fillna(0).to_numpy())
        team = frame[(frame["team"] == "payments") & (frame["currency"] == currency)]
        assert daily[("team", "payments", currency)].sum() == pytest.approx(
            team["effective_cost"].sum()
        )


def test_one_services_row_equals_its_row_of_the_fleet_table(
    sessions: sessionmaker[Session], world: World
) -> None:
    with sessions() as session:
        table = service_views.services_table(
            session, filters=Filters(), today=TODAY, usage_end=USAGE_END
        )
        listed = service_views.service_list(session, filters=Filters(teams=("search",)))
        rows = {
            sid: service_views.services_table(
                session, filters=Filters(), today=TODAY, usage_end=USAGE_END, service_id=sid
            )
            for sid in map(int, table["service_id"].unique())
        }

    assert len(rows) == 12
    for sid, row in rows.items():
        expected = table[table["service_id"] == sid].reset_index(drop=True)
        pd.testing.assert_frame_equal(row, expected)
    searched = table[table["team"] == "search"]
    assert sorted(listed["service_id"]) == sorted(searched["service_id"].unique())
