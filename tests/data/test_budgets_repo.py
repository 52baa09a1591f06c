"""Budgets: validated create, versioned edit/delete with audit, checks against daily costs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.budget_actions import BudgetDesk
from data.budget_checks import check_budgets
from data.errors import Conflict, Forbidden, InvalidInput
from data.models import AuditEventRow, BudgetAlertRow, BudgetRow, CostDailyRow
from data.repos import budgets, costs, services
from data.repos.audit import record_event
from data.repos.budget_status import evaluate_budgets
from data.repos.budgets import NewBudget
from data.repos.costs import DailyCost
from data.workflow import WorkflowPolicy
from tests.data.guard_world import DiskFull, count, events, failing_after
from tests.factories import make_new_service

NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)
NOVEMBER = date(2026, 11, 1)
POLICY = WorkflowPolicy(roles={"vic": "viewer", "ana": "analyst"}, local_actor="boss")


def _desk(sessions: sessionmaker[Session]) -> BudgetDesk:
    return BudgetDesk(sessions, POLICY)


def _fleet(sessions: sessionmaker[Session], daily: float = 10.0) -> dict[str, int]:
    """checkout (payments) costs `daily` USD a day, search (search) 5 USD, from Oct 1 to Nov 14."""
    with sessions.begin() as session:
        checkout, search = services.add_services(
            session,
            [
                make_new_service("checkout", team="payments"),
                make_new_service("search", team="search"),
            ],
            now=NOW - timedelta(days=60),
        )
        days = [date(2026, 10, 1) + timedelta(days=i) for i in range(45)]
        costs.insert_daily_costs(
            session,
            [_cost(checkout.id, d, daily) for d in days] + [_cost(search.id, d, 5.0) for d in days],
        )
    return {"checkout": checkout.id, "search": search.id}


def _cost(service_id: int | None, day: date, amount: float, currency: str = "USD") -> DailyCost:
    return DailyCost(service_id, day, "Compute", currency, amount, amount, amount, "aws")


def _draft(**overrides: object) -> NewBudget:
    fields: dict[str, object] = {
        "scope_type": "team",
        "scope_key": "payments",
        "month": date(2026, 11, 20),
        "amount": Decimal("400"),
        "currency": "USD",
    }
    fields.update(overrides)
    return NewBudget(**fields)  # type: ignore[arg-type]


def test_create_stores_the_first_of_the_month_and_an_audit_event(
    sessions: sessionmaker[Session],
) -> None:
    _fleet(sessions)

    budget = _desk(sessions).create("boss", _draft(), now=NOW)

    assert (budget.month, budget.amount, budget.version) == (NOVEMBER, Decimal("400.00"), 1)
    with sessions() as session:
        event = session.scalars(select(AuditEventRow)).one()
    assert (event.action, event.target_type, event.target_id) == (
        "budget_create",
        "budget",
        str(budget.id),
    )
    assert event.after is not None
    assert event.after["amount"] == "400.00"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"scope_type": "region"}, "per team or per service"),
        ({"scope_key": "nobody"}, "no team named 'nobody'"),
        ({"scope_type": "service", "scope_key": "payments"}, "no service named"),
        ({"amount": Decimal("0")}, "above 0"),
        ({"amount": Decimal("NaN")}, "above 0"),
        ({"currency": "dollars"}, "ISO 4217"),
    ],
)
def test_invalid_drafts_are_refused(
    sessions: sessionmaker[Session], overrides: dict[str, object], message: str
) -> None:
    _fleet(sessions)

    with pytest.raises(InvalidInput, match=message):
        _desk(sessions).create("boss", _draft(**overrides), now=NOW)


def test_a_second_budget_for_the_same_scope_month_and_currency_is_refused(
    sessions: sessionmaker[Session],
) -> None:
    _fleet(sessions)
    _desk(sessions).create("boss", _draft(), now=NOW)

    with pytest.raises(InvalidInput, match="already has a USD budget for 2026-11"):
        _desk(sessions).create("boss", _draft(month=NOVEMBER), now=NOW)


def test_edit_with_a_stale_version_is_a_conflict_and_changes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    _fleet(sessions)
    budget = _desk(sessions).create("boss", _draft(), now=NOW)
    _desk(sessions).update("boss", budget.id, expected_version=1, amount=Decimal("500"), now=NOW)

    with pytest.raises(Conflict, match="review it again"):
        _desk(sessions).update(
            "boss", budget.id, expected_version=1, amount=Decimal("900"), now=NOW
        )

    with sessions() as session:
        row = session.get(BudgetRow, budget.id)
        assert row is not None
        assert (row.amount, row.version) == (Decimal("500"), 2)


def test_delete_needs_the_current_version_and_is_audited(sessions: sessionmaker[Session]) -> None:
    _fleet(sessions)
    budget = _desk(sessions).create("boss", _draft(), now=NOW)

    _desk(sessions).delete("boss", budget.id, expected_version=1, now=NOW)

    with sessions() as session:
        assert session.get(BudgetRow, budget.id) is None
        actions = session.scalars(select(AuditEventRow.action).order_by(AuditEventRow.id)).all()
    assert actions == ["budget_create", "budget_delete"]


def test_analysts_may_not_edit_budgets(sessions: sessionmaker[Session]) -> None:
    _fleet(sessions)

    with pytest.raises(Forbidden, match="approver"):
        _desk(sessions).create("ana", _draft(), now=NOW)

    assert count(sessions, BudgetRow) == 0
    ((actor, action, target, target_id, detail),) = events(sessions)
    assert (actor, action, target, target_id) == ("ana", "denied", "budget", "0")
    assert (detail["attempted"], detail["scope_key"]) == ("budget_create", "payments")


def test_a_failed_audit_write_leaves_no_budget(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    _fleet(sessions)
    monkeypatch.setattr(budgets, "record_event", failing_after(record_event))

    with pytest.raises(DiskFull):
        _desk(sessions).create("boss", _draft(), now=NOW)

    assert count(sessions, BudgetRow) == 0
    assert events(sessions) == []


def test_month_to_date_and_forecast_of_a_team(sessions: sessionmaker[Session]) -> None:
    _fleet(sessions)
    _desk(sessions).create("boss", _draft(), now=NOW)
    # Nov 1–14 charged: 14 × 10 = 140; 16 days left at 10 a day → 300 (within 400: ok).

    with sessions() as session:
        (view,) = evaluate_budgets(session, month=NOVEMBER, as_of=NOW.date())

    assert view.check.month_to_date_cost == pytest.approx(140.0)
    assert view.check.forecast_cost == pytest.approx(300.0)
    assert view.check.state == "ok"
    assert (view.actual_daily_cost.size, view.projected_daily_cost.size) == (14, 16)


def test_team_cost_includes_unallocated_rows_the_team_was_given(
    sessions: sessionmaker[Session],
) -> None:
    _fleet(sessions)
    with sessions.begin() as session:
        costs.insert_daily_costs(session, [_cost(None, date(2026, 11, 3), 50.0)])
        row = session.scalars(select(CostDailyRow).where(CostDailyRow.service_id.is_(None))).one()
        row.team = "payments"
    _desk(sessions).create("boss", _draft(), now=NOW)

    with sessions() as session:
        (view,) = evaluate_budgets(session, month=NOVEMBER, as_of=NOW.date())

    assert view.check.month_to_date_cost == pytest.approx(190.0)


def test_costs_in_another_currency_do_not_count(sessions: sessionmaker[Session]) -> None:
    ids = _fleet(sessions)
    with sessions.begin() as session:
        costs.insert_daily_costs(session, [_cost(ids["checkout"], date(2026, 11, 2), 999.0, "EUR")])
    _desk(sessions).create("boss", _draft(), now=NOW)

    with sessions() as session:
        (view,) = evaluate_budgets(session, month=NOVEMBER, as_of=NOW.date())

    assert view.check.month_to_date_cost == pytest.approx(140.0)


def test_check_budgets_stores_states_and_is_idempotent(sessions: sessionmaker[Session]) -> None:
    _fleet(sessions)
    ok = _desk(sessions).create("boss", _draft(), now=NOW)
    at_risk = _desk(sessions).create(
        "boss", _draft(scope_type="service", scope_key="checkout", amount=Decimal("250")), now=NOW
    )
    over = _desk(sessions).create("boss", _draft(scope_key="search", amount=Decimal("60")), now=NOW)

    first = check_budgets(sessions, now=NOW)
    second = check_budgets(sessions, now=NOW + timedelta(hours=1))

    assert (first, second) == (3, 0)
    with sessions() as session:
        alerts = {a.budget_id: a for a in session.scalars(select(BudgetAlertRow))}
    assert {k: a.state for k, a in alerts.items()} == {
        ok.id: "ok",
        at_risk.id: "at_risk",
        over.id: "over",
    }
    assert alerts[over.id].month_to_date == Decimal("70")
    assert alerts[over.id].changed_at == NOW
    assert alerts[over.id].checked_at == NOW + timedelta(hours=1)


def test_a_state_change_moves_changed_at(sessions: sessionmaker[Session]) -> None:
    ids = _fleet(sessions)
    budget = _desk(sessions).create("boss", _draft(), now=NOW)
    check_budgets(sessions, now=NOW)
    with sessions.begin() as session:
        costs.insert_daily_costs(session, [_cost(ids["checkout"], date(2026, 11, 14), 300.0)])

    changed = check_budgets(sessions, now=NOW + timedelta(hours=2))

    with sessions() as session:
        alert = session.get(BudgetAlertRow, budget.id)
    assert changed == 1
    assert alert is not None
    assert (alert.state, alert.changed_at) == (
        "over",
        NOW + timedelta(hours=2),
    )


def test_check_budgets_forecasts_todays_partial_cost_instead_of_counting_it(
    sessions: sessionmaker[Session],
) -> None:
    """At noon on Nov 15, $3 of checkout's cost for that day is stored so far. Month-to-date
    is Nov 1–14 (14 × $10 = $140); Nov 15 is forecast like the rest (16 days × $10)."""
    ids = _fleet(sessions)
    with sessions.begin() as session:
        costs.insert_daily_costs(session, [_cost(ids["checkout"], NOW.date(), 3.0)])
    budget = _desk(sessions).create(
        "boss", _draft(scope_type="service", scope_key="checkout", amount=Decimal("500")), now=NOW
    )

    check_budgets(sessions, now=NOW)

    with sessions() as session:
        alert = session.get(BudgetAlertRow, budget.id)
    assert alert is not None
    assert (alert.month_to_date, alert.forecast) == (Decimal("140"), Decimal("300"))
