"""Anomaly detection over stored costs: SQL cube, idempotent upserts, acknowledge once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.budget_actions import BudgetDesk
from data.budget_checks import detect_anomalies
from data.errors import Conflict, Forbidden
from data.models import AuditEventRow, CostAnomalyRow, CostDailyRow
from data.repos import anomalies, costs, services
from data.repos.costs import DailyCost
from data.workflow import WorkflowPolicy
from tests.data.guard_world import events
from tests.factories import make_new_service

LAST_DAY = date(2026, 11, 14)
NOW = datetime(2026, 11, 15, 6, tzinfo=UTC)
POLICY = WorkflowPolicy(roles={"vic": "viewer", "ana": "analyst"}, local_actor="boss")


def _cost(service_id: int, day: date, amount: float, category: str) -> DailyCost:
    return DailyCost(service_id, day, category, "USD", amount, amount, amount, "aws")


def _fleet(sessions: sessionmaker[Session], *, spike_day: date = LAST_DAY) -> dict[str, int]:
    """45 days: checkout 20 compute (± 1 weekly) + 5 storage; on `spike_day` compute is 60.
    steady costs exactly 7 a day throughout."""
    days = [LAST_DAY - timedelta(days=i) for i in range(45)]
    with sessions.begin() as session:
        checkout, steady = services.add_services(
            session, [make_new_service("checkout"), make_new_service("steady")], now=NOW
        )
        rows = [_cost(steady.id, d, 7.0, "Compute") for d in days]
        for day in days:
            compute = 60.0 if day == spike_day else 20.0 + (day.weekday() % 3 - 1)
            rows += [
                _cost(checkout.id, day, compute, "Compute"),
                _cost(checkout.id, day, 5.0, "Storage"),
            ]
        costs.insert_daily_costs(session, rows)
    return {"checkout": checkout.id, "steady": steady.id}


def _stored(sessions: sessionmaker[Session]) -> list[CostAnomalyRow]:
    with sessions() as session:
        return list(session.scalars(select(CostAnomalyRow).order_by(CostAnomalyRow.id)))


def test_cube_sums_per_service_category_and_day_in_sql(sessions: sessionmaker[Session]) -> None:
    ids = _fleet(sessions)
    with sessions.begin() as session:
        costs.insert_daily_costs(session, [_cost(ids["steady"], LAST_DAY, 3.0, "Compute")])

    with sessions() as session:
        cube = anomalies.cost_cube(session, start=LAST_DAY - timedelta(days=1), end=LAST_DAY)

    assert cube.keys == ((ids["checkout"], "USD"), (ids["steady"], "USD"))
    assert cube.categories == ("Compute", "Storage")
    assert cube.effective_cost[1, 0].tolist() == [7.0, 10.0]
    assert cube.effective_cost[1, 1].tolist() == [0.0, 0.0]


def test_a_spike_is_stored_with_its_driver(sessions: sessionmaker[Session]) -> None:
    ids = _fleet(sessions)

    written = detect_anomalies(sessions, now=NOW)

    (row,) = _stored(sessions)
    assert written == 1
    assert (row.service_id, row.charge_date, row.direction, row.status) == (
        ids["checkout"],
        LAST_DAY,
        "spike",
        "open",
    )
    assert float(row.effective_cost) == 65.0
    assert float(row.baseline_cost) == 26.0  # Saturdays' median: compute 21 + storage 5
    assert row.robust_z > 3.5
    assert [d["category"] for d in row.drivers["categories"]] == ["Compute"]
    assert row.drivers["categories"][0]["delta_cost"] == 40.0


def test_running_again_on_the_same_costs_writes_nothing(sessions: sessionmaker[Session]) -> None:
    _fleet(sessions)
    detect_anomalies(sessions, now=NOW)

    again = detect_anomalies(sessions, now=NOW + timedelta(hours=1))

    assert again == 0
    assert [r.detected_at for r in _stored(sessions)] == [NOW]


def test_a_restated_day_that_no_longer_flags_is_removed(sessions: sessionmaker[Session]) -> None:
    ids = _fleet(sessions)
    detect_anomalies(sessions, now=NOW)
    with sessions.begin() as session:
        session.query(CostDailyRow).filter_by(
            service_id=ids["checkout"], charge_date=LAST_DAY, service_category="Compute"
        ).update({"effective_cost": 20})

    written = detect_anomalies(sessions, now=NOW + timedelta(hours=1))

    assert written == 1
    assert _stored(sessions) == []


def test_acknowledged_anomalies_are_kept_and_acknowledged_once(
    sessions: sessionmaker[Session],
) -> None:
    _fleet(sessions)
    detect_anomalies(sessions, now=NOW)
    (row,) = _stored(sessions)
    desk = BudgetDesk(sessions, POLICY)

    desk.acknowledge("ana", row.id, now=NOW)
    with pytest.raises(Conflict, match="already acknowledged by ana"):
        desk.acknowledge("boss", row.id, now=NOW)

    (after,) = _stored(sessions)
    assert (after.status, after.acknowledged_by) == ("acknowledged", "ana")
    with sessions() as session:
        assert session.scalars(select(AuditEventRow.action)).all() == ["anomaly_acknowledge"]


def test_viewers_may_not_acknowledge(sessions: sessionmaker[Session]) -> None:
    _fleet(sessions)
    detect_anomalies(sessions, now=NOW)
    (row,) = _stored(sessions)

    with pytest.raises(Forbidden, match="analyst"):
        BudgetDesk(sessions, POLICY).acknowledge("vic", row.id, now=NOW)

    (after,) = _stored(sessions)
    assert after.status == "open"
    assert [e[:4] for e in events(sessions)] == [("vic", "denied", "cost_anomaly", str(row.id))]


def test_a_new_service_has_no_baseline_yet(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        (fresh,) = services.add_services(session, [make_new_service("fresh")], now=NOW)
        days = [LAST_DAY - timedelta(days=i) for i in range(5)]
        costs.insert_daily_costs(
            session, [_cost(fresh.id, d, 1.0 if d < LAST_DAY else 90.0, "Compute") for d in days]
        )

    assert detect_anomalies(sessions, now=NOW) == 0


def test_listing_names_the_service(sessions: sessionmaker[Session]) -> None:
    _fleet(sessions)
    detect_anomalies(sessions, now=NOW)

    with sessions() as session:
        frame = anomalies.list_anomalies(session, since=LAST_DAY - timedelta(days=30))

    assert frame[["slug", "direction", "effective_cost"]].values.tolist() == [
        ["checkout", "spike", 65.0]
    ]


def test_a_day_still_in_progress_is_never_scored(sessions: sessionmaker[Session]) -> None:
    """At 06:00 on the day after LAST_DAY, that day's cost so far is a fraction of a day: it
    used to be scored as a drop of every service (robust z ≈ −1000) that buried real spikes."""
    ids = _fleet(sessions)
    today = LAST_DAY + timedelta(days=1)
    with sessions.begin() as session:
        costs.insert_daily_costs(
            session,
            [
                _cost(ids["checkout"], today, 5.0, "Compute"),
                _cost(ids["steady"], today, 1.75, "Compute"),
            ],
        )

    detect_anomalies(sessions, now=NOW)

    assert [(r.charge_date, r.direction) for r in _stored(sessions)] == [(LAST_DAY, "spike")]
