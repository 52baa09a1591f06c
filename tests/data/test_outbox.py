"""The outbox: each state change writes its webhook event in its own transaction, once, or
neither when the transaction fails (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data import outbox
from data.budget_checks import check_budgets, detect_anomalies
from data.models import OutboxEventRow, RecommendationRow
from data.outbox_events import recomputed_high_value
from data.repos import costs
from data.repos.audit import record_event
from data.workflow import decision_steps
from tests.data import test_anomalies_repo as anomaly_world
from tests.data import test_budgets_repo as budget_world
from tests.data.guard_world import DiskFull, failing_after
from tests.data.workflow.world import NOW, add_open_rec, make_flow


def events(sessions: sessionmaker[Session]) -> list[tuple[str, dict[str, Any]]]:
    with sessions() as session:
        rows = session.scalars(select(OutboxEventRow).order_by(OutboxEventRow.id))
        return [(row.kind, dict(row.payload)) for row in rows]


def test_an_apply_writes_its_event_with_the_change(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)

    make_flow(sessions).apply("apu", rec.id, expected_version=rec.version, now=NOW)

    ((kind, data),) = events(sessions)
    assert kind == outbox.RECOMMENDATION_APPLIED
    assert (data["recommendation_id"], data["actor"], data["status"]) == (rec.id, "apu", "applied")
    assert data["service"] == "Checkout Api"
    assert data["monthly_savings_usd"] == pytest.approx(70.08)


def test_a_failing_audit_write_leaves_neither_the_apply_nor_its_event(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    rec = add_open_rec(sessions)
    monkeypatch.setattr(decision_steps, "record_event", failing_after(record_event))

    with pytest.raises(DiskFull):
        make_flow(sessions).apply("apu", rec.id, expected_version=rec.version, now=NOW)

    assert events(sessions) == []
    with sessions() as session:
        row = session.get(RecommendationRow, rec.id)
        assert row is not None
        assert row.status == "open"


def test_a_refused_apply_writes_no_event(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)

    with pytest.raises(Exception, match="approver"):
        make_flow(sessions).apply("ana", rec.id, expected_version=rec.version, now=NOW)

    assert events(sessions) == []


def test_rollback_reject_and_postpone_each_write_one_event(sessions: sessionmaker[Session]) -> None:
    flow = make_flow(sessions)
    applied_rec = add_open_rec(sessions, "checkout-api")
    applied = flow.apply("apu", applied_rec.id, expected_version=applied_rec.version, now=NOW)
    flow.rollback("apu", applied.change_id or 0, now=NOW + timedelta(hours=1), reason="slow")
    rejected = add_open_rec(sessions, "search-api")
    flow.reject("ana", rejected.id, expected_version=rejected.version, reason="no", now=NOW)
    postponed = add_open_rec(sessions, "cart-api")
    flow.postpone(
        "ana", postponed.id, expected_version=postponed.version,
        until=NOW + timedelta(days=3), now=NOW,
    )  # fmt: skip

    found = events(sessions)
    assert [kind for kind, _ in found] == [
        outbox.RECOMMENDATION_APPLIED,
        outbox.RECOMMENDATION_ROLLED_BACK,
        outbox.RECOMMENDATION_REJECTED,
        outbox.RECOMMENDATION_POSTPONED,
    ]
    assert found[1][1]["change_id"] == applied.change_id
    assert found[1][1]["config_after_rollback"] == found[0][1]["current_config"]


def test_the_same_dedupe_key_is_one_event(sessions: sessionmaker[Session]) -> None:
    for _ in range(2):
        with sessions.begin() as session:
            outbox.enqueue(session, outbox.ANOMALY_DETECTED, {"n": 1}, dedupe_key="k", now=NOW)

    assert events(sessions) == [(outbox.ANOMALY_DETECTED, {"n": 1})]


def test_a_budget_moving_state_is_one_event(sessions: sessionmaker[Session]) -> None:
    ids = budget_world._fleet(sessions)
    budget = budget_world._desk(sessions).create("boss", budget_world._draft(), now=NOW)
    check_budgets(sessions, now=budget_world.NOW)  # first check, "ok": no event
    with sessions.begin() as session:
        costs.insert_daily_costs(
            session, [budget_world._cost(ids["checkout"], date(2026, 11, 14), 300.0)]
        )

    check_budgets(sessions, now=budget_world.NOW + timedelta(hours=2))
    check_budgets(sessions, now=budget_world.NOW + timedelta(hours=3))  # still over: no event

    created, (kind, data) = events(sessions)  # the budget's creation is announced too
    assert (created[0], kind) == (outbox.BUDGET_CREATED, outbox.BUDGET_STATE_CHANGED)
    assert (data["budget_id"], data["previous_state"], data["state"]) == (budget.id, "ok", "over")
    assert data["amount"] == 400.0


def test_a_new_anomaly_is_one_event_and_a_rerun_adds_none(sessions: sessionmaker[Session]) -> None:
    ids = anomaly_world._fleet(sessions)

    detect_anomalies(sessions, now=anomaly_world.NOW)
    detect_anomalies(sessions, now=anomaly_world.NOW + timedelta(hours=1))

    ((kind, data),) = events(sessions)
    assert kind == outbox.ANOMALY_DETECTED
    assert (data["service_id"], data["service"], data["direction"]) == (
        ids["checkout"],
        "Checkout",
        "spike",
    )
    assert data["effective_cost"] == 65.0


def test_recomputed_recommendations_over_the_threshold_are_announced_once(
    sessions: sessionmaker[Session],
) -> None:
    small = add_open_rec(sessions, "checkout-api")
    big = add_open_rec(sessions, "search-api")
    with sessions.begin() as session:
        row = session.get(RecommendationRow, big.id)
        assert row is not None
        row.monthly_savings_usd = Decimal("900")
        row.updated_at = NOW

    for _ in range(2):
        with sessions.begin() as session:
            recomputed_high_value(session, min_savings_usd=500.0, now=NOW)

    assert [(k, d["recommendation_id"]) for k, d in events(sessions)] == [
        (outbox.RECOMMENDATION_HIGH_VALUE, big.id)
    ]
    assert small.id != big.id
