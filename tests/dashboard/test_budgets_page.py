"""Budgets & anomalies page (AppTest): budgets with state, create/edit, anomalies, commitments."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from data.budget_checks import detect_anomalies
from data.models import BudgetRow, CommitmentDailyRow, CostAnomalyRow, IngestedFileRow, ServiceRow
from data.repos import budgets, costs
from data.repos.budgets import NewBudget
from data.repos.costs import DailyCost
from tests.dashboard.conftest import TODAY, open_page, sessions_on, shown

PAGE = "app_pages/budgets.py"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def sessions(seeded_database: str) -> Iterator[sessionmaker[Session]]:
    yield from sessions_on(seeded_database)


def _open() -> AppTest:
    return open_page(PAGE)


def _budget(sessions: sessionmaker[Session], key: str, amount: str, scope: str = "team") -> int:
    with sessions.begin() as session:
        draft = NewBudget(scope, key, TODAY, Decimal(amount), "USD")
        return budgets.create_budget(session, draft, actor="t", now=NOW).id


def _table(at: AppTest, column: str) -> list[dict[str, object]]:
    """The rows of the one table that has `column` (AppTest does not expose a table's key)."""
    (frame,) = [d.value for d in at.dataframe if column in d.value.columns]
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def test_an_empty_month_says_how_to_create_a_budget(sessions: sessionmaker[Session]) -> None:
    at = _open()

    assert "No budget for November 2026 yet" in at.info[0].value
    assert "No commitment discount charged" in " ".join(i.value for i in at.info)


def test_budgets_show_month_to_date_forecast_and_state(sessions: sessionmaker[Session]) -> None:
    # payments (checkout) costs 10 a day: all 30 days of November charged → 300.
    _budget(sessions, "payments", "250")
    _budget(sessions, "search", "1000")

    at = _open()

    rows = {r["scope"]: r for r in _table(at, "month_to_date")}
    assert rows["team · payments"]["state_label"] == "⚠ Over"
    assert rows["team · payments"]["month_to_date"] == pytest.approx(300.0)
    assert rows["team · search"]["state_label"] == "✓ OK"
    assert rows["team · search"]["forecast"] == pytest.approx(150.0)
    assert {m.label: m.value for m in at.metric}["Over budget"] == "1"
    assert len(at.get("plotly_chart")) == 1


def test_create_through_the_dialog(sessions: sessionmaker[Session]) -> None:
    at = _open()

    at.button(key="bud_new").click().run()
    at.selectbox(key="bud_new_scope_key").set_value("data")
    at.number_input(key="bud_new_amount").set_value(120.0)
    at.button(key="bud_new_confirm").click().run()

    assert not at.exception
    with sessions() as session:
        row = session.scalars(select(BudgetRow)).one()
    assert (row.scope_key, row.month, row.amount) == ("data", date(2026, 11, 1), Decimal("120"))
    assert shown(at.success[0].value).startswith(f"Budget #{row.id} created")


def test_edit_through_the_dialog_changes_the_amount(sessions: sessionmaker[Session]) -> None:
    budget_id = _budget(sessions, "payments", "250")
    at = _open()

    at.button(key="bud_edit").click().run()
    at.number_input(key="bud_edit_amount").set_value(400.0)
    at.button(key="bud_edit_confirm").click().run()

    with sessions() as session:
        row = session.get(BudgetRow, budget_id)
    assert row is not None
    assert (row.amount, row.version) == (Decimal("400"), 2)
    assert _table(at, "month_to_date")[0]["state_label"] == "✓ OK"


def test_a_viewer_sees_budget_editing_locked_and_why(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIGHTROPE_LOCAL_ACTOR", "visitor")
    monkeypatch.setenv("TIGHTROPE_ROLES", '{"visitor": "viewer"}')

    at = _open()

    assert at.button(key="bud_new").disabled
    assert "visitor is a viewer: editing budgets needs the approver role" in " ".join(
        c.value for c in at.caption
    )


def test_anomalies_are_listed_with_drivers_and_acknowledged(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        checkout = session.scalars(select(ServiceRow.id).where(ServiceRow.slug == "checkout")).one()
        costs.insert_daily_costs(
            session, [DailyCost(checkout, TODAY, "Networking", "USD", 90.0, 90.0, 90.0, "aws")]
        )
    detect_anomalies(sessions, now=NOW)

    at = _open()

    (row,) = _table(at, "drivers_text")
    assert row["direction_label"] == "▲ Spike"
    assert str(row["drivers_text"]).startswith("Networking +$90")
    at.button(key="bud_anomaly_ack").click().run()
    with sessions() as session:
        assert session.scalars(select(CostAnomalyRow.status)).one() == "acknowledged"


def test_commitments_show_utilization(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        file_row = IngestedFileRow(
            source="t", file_name="f.csv", content_sha256="a" * 64, status="loaded", ingested_at=NOW
        )
        session.add(file_row)
        session.flush()
        session.execute(
            insert(CommitmentDailyRow),
            [
                {
                    "ingested_file_id": file_row.id,
                    "commitment_discount_id": "sp-1",
                    "commitment_discount_name": "Compute SP",
                    "charge_date": TODAY - timedelta(days=i),
                    "billing_currency": "USD",
                    "used_effective_cost": Decimal("3"),
                    "unused_effective_cost": Decimal("1"),
                }
                for i in range(5)
            ],
        )

    at = _open()

    (row,) = _table(at, "utilization_pct")
    assert row["utilization_pct"] == pytest.approx(75.0)
    assert {m.label: m.value for m in at.metric}["Commitment utilization"] == "75.0 % USD"
