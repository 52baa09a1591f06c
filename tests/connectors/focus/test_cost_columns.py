"""FOCUS daily costs written as columns: the rows per-row objects wrote, money rounded exactly."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from data.models import CostDailyRow, IngestedFileRow
from data.repos.costs import AllocatedCost, AllocatedCostColumns, insert_allocated_costs
from data.repos.services import add_services
from tests.factories import T0, make_new_service

TEN_PLACES = Decimal("1e-10")
PERIOD = datetime(2026, 10, 1, tzinfo=UTC)
COST = AllocatedCost(
    charge_date=date(2026, 10, 5),
    billing_currency="USD",
    service_category="Compute",
    charge_category="Usage",
    provider="AWS",
    billing_account_id="123456789012",
    billing_period_start=PERIOD,
    billing_period_end=datetime(2026, 11, 1, tzinfo=UTC),
    sub_account_id=None,
    service_ref="checkout",
    team=None,
    allocated_by="tag",
    billed_cost=Decimal("1.5000000000000000"),
    effective_cost=Decimal("1.2500000000000000"),
    list_cost=Decimal("2.0000000000000000"),
    source_rows=1,
)


@pytest.fixture
def delivery(sessions: sessionmaker[Session]) -> tuple[sessionmaker[Session], int, int]:
    """A catalogued service `checkout` and a delivery to write costs under: (sessions, ids)."""
    with sessions.begin() as session:
        (service,) = add_services(session, [make_new_service("checkout")], now=T0)
        row = IngestedFileRow(
            source="test", file_name="f.csv", content_sha256="0" * 64, status="loaded"
        )
        row.ingested_at = T0
        session.add(row)
        session.flush()
        return sessions, service.id, row.id


def written(sessions: sessionmaker[Session]) -> list[Any]:
    with sessions() as session:
        columns = [c for c in CostDailyRow.__table__.columns if c.name != "id"]
        return sorted(session.execute(select(*columns)).all(), key=repr)


def write(sessions: sessionmaker[Session], file_id: int, costs: Any, service_id: int) -> list[Any]:
    with sessions.begin() as session:
        session.execute(delete(CostDailyRow))
        insert_allocated_costs(
            session, costs, service_ids={"checkout": service_id}, ingested_file_id=file_id
        )
    return written(sessions)


def test_columns_write_the_rows_objects_write(
    delivery: tuple[sessionmaker[Session], int, int],
) -> None:
    sessions, service_id, file_id = delivery
    costs = [
        COST,
        replace(COST, service_ref="Checkout", effective_cost=Decimal("-0.1234567890125000")),
        replace(COST, service_ref="unknown-svc", provider="P" * 60, list_cost=Decimal(0)),
        replace(COST, service_ref=None, team="payments", allocated_by="account"),
    ]

    by_objects = write(sessions, file_id, costs, service_id)
    by_columns = write(sessions, file_id, AllocatedCostColumns.of(costs), service_id)

    assert by_columns == by_objects
    services = [(row.service_id, row.allocated_by) for row in by_columns]
    assert sorted(services, key=repr) == sorted(
        [(service_id, "tag"), (service_id, "tag"), (None, "unallocated"), (None, "account")],
        key=repr,
    )


def test_the_columns_give_back_the_objects() -> None:
    costs = (COST, replace(COST, service_ref=None, billed_cost=Decimal("-3.0000000000000001")))

    assert AllocatedCostColumns.of(costs).rows() == costs


SIXTEEN_PLACES = st.decimals(
    min_value=Decimal("-99999"), max_value=Decimal("99999"), places=16, allow_nan=False
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(amounts=st.lists(SIXTEEN_PLACES, min_size=1, max_size=5))
# Rounding carries a digit past a narrow inferred precision (it raised alone, and stored 0
# beside a zero): kept as explicit cases so CI runs them without the example database.
@example(amounts=[Decimal("999.9999999999500000")])
@example(amounts=[Decimal("999.9999999999500000"), Decimal("0E-16")])
def test_money_is_rounded_half_even_to_ten_places_as_quantize_does(
    delivery: tuple[sessionmaker[Session], int, int], amounts: list[Decimal]
) -> None:
    sessions, service_id, file_id = delivery
    costs = [replace(COST, billed_cost=amount) for amount in amounts]

    write(sessions, file_id, AllocatedCostColumns.of(costs), service_id)

    assert sorted(stored_billed_cost(sessions)) == sorted(
        [amount.quantize(TEN_PLACES) for amount in amounts]
        if not on_sqlite(sessions)
        else [float(amount.quantize(TEN_PLACES)) for amount in amounts]  # REAL: the exact float
    )


def on_sqlite(sessions: sessionmaker[Session]) -> bool:
    return bool(sessions.kw["bind"].dialect.name == "sqlite")


def stored_billed_cost(sessions: sessionmaker[Session]) -> list[Any]:
    """As the database holds it (SQLite: the float itself, not the ORM's Decimal of it)."""
    with sessions() as session:
        result = session.connection().exec_driver_sql("SELECT billed_cost FROM cost_daily")
        return [value for (value,) in result]
