"""ingest_file on SQLite and PostgreSQL: idempotent, restatements replace, failures roll back."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.focus import (
    AllocationRules,
    FileRejected,
    FocusIngestError,
    IngestLimits,
    ResourcePattern,
    UnsupportedContent,
    ingest_file,
    load,
)
from data.models import CostDailyRow, IngestedFileRow
from data.repos import costs as costs_repo
from data.repos.services import add_services
from tests.connectors.focus.builders import csv_bytes, focus_row
from tests.factories import T0, make_new_service

RULES = AllocationRules()


@pytest.fixture
def catalogued(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Two services: `checkout` (by slug) and `search` (whose allocation value is `search-v2`)."""
    with sessions.begin() as session:
        add_services(
            session,
            [
                make_new_service("checkout"),
                make_new_service(
                    "search", team="discovery", allocation_rule={"tag": "app", "value": "search-v2"}
                ),
            ],
            now=T0,
        )
    return sessions


def ingest(sessions: sessionmaker[Session], data: bytes, **kwargs: Any) -> Any:
    options: dict[str, Any] = {"source": "aws-cur", "rules": RULES, "now": T0}
    return ingest_file(sessions, data, **(options | kwargs))


def snapshot(sessions: sessionmaker[Session]) -> tuple[Any, ...]:
    """Everything a failed ingest must leave untouched: cost rows, their sums, deliveries."""
    with sessions() as session:
        costs = session.execute(select(func.count(), func.sum(CostDailyRow.effective_cost))).one()
        loaded = session.scalar(
            select(func.count())
            .select_from(IngestedFileRow)
            .where(IngestedFileRow.status != "rejected")
        )
        return (*costs, loaded)


def effective_by(sessions: sessionmaker[Session], *group: Any) -> dict[Any, Decimal]:
    with sessions() as session:
        rows = session.execute(
            select(*group, func.sum(CostDailyRow.effective_cost)).group_by(*group)
        ).all()
    return {tuple(row[:-1]) if len(row) > 2 else row[0]: Decimal(str(row[-1])) for row in rows}


def test_a_file_loads_daily_costs_per_service_with_an_unallocated_bucket(
    catalogued: sessionmaker[Session],
) -> None:
    rows = [
        focus_row(),
        focus_row(Tags='{"app": "search-v2"}', EffectiveCost="2.00"),
        focus_row(Tags="NULL", EffectiveCost="0.25"),
        focus_row(Tags='{"service": "nobody"}', EffectiveCost="0.10"),
    ]

    report = ingest(catalogued, csv_bytes(rows), rules=AllocationRules(tag_keys=("service", "app")))

    by_method = effective_by(catalogued, CostDailyRow.allocated_by)
    assert report.status == "loaded"
    assert report.rows_read == 4
    assert by_method == {"tag": Decimal("3.50"), "unallocated": Decimal("0.35")}
    assert {w.code for w in report.warnings} == {"unknown_service"}


def test_resource_patterns_and_account_teams_allocate_untagged_rows(
    catalogued: sessionmaker[Session],
) -> None:
    rows = [
        focus_row(Tags="", ResourceId="arn:aws:rds:us-east-1:1:db:checkout-primary"),
        focus_row(Tags="", ResourceId="i-unknown", SubAccountId="999"),
    ]
    rules = AllocationRules(
        resource_patterns=(ResourcePattern(pattern="*:db:checkout-*", service="checkout"),),
        account_teams={"999": "platform"},
    )

    ingest(catalogued, csv_bytes(rows), rules=rules)

    with catalogued() as session:
        allocated = set(
            session.execute(
                select(
                    CostDailyRow.allocated_by, CostDailyRow.team, CostDailyRow.service_id.is_(None)
                )
            )
        )
    assert allocated == {("resource_id", None, False), ("account", "platform", True)}


def test_the_same_file_twice_is_a_no_op(catalogued: sessionmaker[Session]) -> None:
    data = csv_bytes([focus_row(), focus_row(EffectiveCost="3.00")])
    first = ingest(catalogued, data)
    before = snapshot(catalogued)

    second = ingest(catalogued, data, now=T0 + timedelta(hours=1))

    assert second.status == "already_ingested"
    assert second.ingested_file_id == first.ingested_file_id
    assert (second.rows_read, second.totals) == (first.rows_read, first.totals)
    assert snapshot(catalogued) == before


def test_a_restated_period_replaces_the_earlier_delivery(catalogued: sessionmaker[Session]) -> None:
    v1 = csv_bytes([focus_row(), focus_row(EffectiveCost="3.00"), focus_row(EffectiveCost="4.00")])
    v2 = csv_bytes([focus_row(EffectiveCost="1.25"), focus_row(EffectiveCost="3.00")])
    other_account = csv_bytes([focus_row(BillingAccountId="555", EffectiveCost="7.00")])
    first = ingest(catalogued, v1)
    ingest(catalogued, other_account)

    second = ingest(catalogued, v2, now=T0 + timedelta(days=1))

    with catalogued() as session:
        earlier = session.get(IngestedFileRow, first.ingested_file_id)
        assert earlier is not None
        assert earlier.status == "superseded"
    assert second.replaced_file_ids == (first.ingested_file_id,)
    assert effective_by(catalogued, CostDailyRow.billing_account_id) == {
        "123456789012": Decimal("4.25"),
        "555": Decimal("7.00"),
    }


def test_another_source_delivering_the_same_scope_replaces_it_instead_of_adding(
    catalogued: sessionmaker[Session],
) -> None:
    # Decision 011: one owner per (provider, billing account, billing period), whatever the
    # route; before it, two routes of one period were summed (issue 14).
    ingest(catalogued, csv_bytes([focus_row(EffectiveCost="2.00")]), source="aws-cur")

    ingest(catalogued, csv_bytes([focus_row(EffectiveCost="5.00")]), source="api")

    assert snapshot(catalogued)[1] == Decimal("5.00")


def test_a_rejected_file_changes_no_cost_and_is_recorded_apart(
    catalogued: sessionmaker[Session],
) -> None:
    ingest(catalogued, csv_bytes([focus_row()]))
    before = snapshot(catalogued)
    bad = csv_bytes([focus_row(), focus_row(EffectiveCost="1,5")])

    with pytest.raises(FileRejected, match="EffectiveCost is not a number") as raised:
        ingest(catalogued, bad)

    assert raised.value.report.errors[0].rows == (2,)
    assert snapshot(catalogued) == before
    with catalogued() as session:
        rejected = session.scalars(
            select(IngestedFileRow).where(IngestedFileRow.status == "rejected")
        ).one()
    assert rejected.errors["items"][0]["rows"] == [2]
    assert rejected.rows_read == 2


def test_unsupported_content_is_recorded_and_raised(catalogued: sessionmaker[Session]) -> None:
    with pytest.raises(UnsupportedContent):
        ingest(catalogued, b"PK\x03\x04zip")

    with catalogued() as session:
        rejected = session.scalars(select(IngestedFileRow)).one()
    assert rejected.status == "rejected"
    assert "ZIP" in rejected.errors["items"][0]["message"]


def test_a_rejected_file_fixed_and_resent_loads(catalogued: sessionmaker[Session]) -> None:
    data = csv_bytes([focus_row() for _ in range(3)])
    with pytest.raises(FocusIngestError):
        ingest(catalogued, data, limits=IngestLimits(max_rows=2))

    report = ingest(catalogued, data)

    assert report.status == "loaded"
    with catalogued() as session:
        assert session.scalars(select(IngestedFileRow.status)).all() == ["loaded"]


def test_a_bad_row_at_50_001_rejects_the_whole_file(catalogued: sessionmaker[Session]) -> None:
    rows = [
        focus_row(ChargePeriodStart=f"2026-10-{1 + i % 28:02d}T00:00:00Z") for i in range(50_001)
    ]
    rows[50_000] = focus_row(BilledCost="n/a")
    before = snapshot(catalogued)

    with pytest.raises(FileRejected) as raised:
        ingest(catalogued, csv_bytes(rows))

    assert raised.value.report.errors[0].rows == (50_001,)
    assert snapshot(catalogued) == before


def test_a_database_failure_mid_load_leaves_nothing_behind(
    catalogued: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    def drop_connection(*_: Any, **__: Any) -> int:
        raise OperationalError("INSERT INTO cost_daily", {}, Exception("connection lost"))

    before = snapshot(catalogued)
    monkeypatch.setattr(load, "insert_allocated_costs", drop_connection)

    with pytest.raises(FocusIngestError, match="database refused the load"):
        ingest(catalogued, csv_bytes([focus_row()]))

    assert snapshot(catalogued) == before
    with catalogued() as session:
        assert session.scalars(select(IngestedFileRow.status)).all() == ["rejected"]


def test_two_currencies_are_stored_and_totalled_apart(catalogued: sessionmaker[Session]) -> None:
    rows = [
        focus_row(),
        focus_row(BillingCurrency="EUR", EffectiveCost="2.00"),
        focus_row(BillingCurrency="eur"),
    ]

    report = ingest(catalogued, csv_bytes(rows))

    assert set(report.totals) == {"EUR", "USD"}
    assert report.totals["EUR"]["effective_cost"] == "3.5000000000000000"
    assert effective_by(catalogued, CostDailyRow.billing_currency) == {
        "EUR": Decimal("3.50"),
        "USD": Decimal("1.50"),
    }


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_concurrent_restatements_of_one_period_leave_exactly_one(
    catalogued: sessionmaker[Session],
) -> None:
    deliveries = [
        csv_bytes([focus_row(EffectiveCost=f"{n}.00") for _ in range(50)]) for n in (2, 3)
    ]
    ingest(catalogued, csv_bytes([focus_row(EffectiveCost="9.00")]))
    barrier = threading.Barrier(2)

    def deliver(data: bytes) -> None:
        barrier.wait()
        ingest(catalogued, data, now=T0 + timedelta(days=1))

    threads = [threading.Thread(target=deliver, args=(data,)) for data in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert snapshot(catalogued)[1] in (Decimal("100.00"), Decimal("150.00"))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_value_postgresql_refuses_in_copy_is_recorded_as_a_refusal(
    catalogued: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Validation refuses NUL before writing; were one to slip through, COPY's raw driver error
    # must still become a recorded refusal, not an exception that stops a directory pass.
    allocated = costs_repo._allocated_columns

    def with_nul(*args: Any) -> dict[str, Any]:
        columns = allocated(*args)
        columns["provider"] = ["A\x00WS"] * len(columns["provider"])
        return columns

    monkeypatch.setattr(costs_repo, "_allocated_columns", with_nul)

    with pytest.raises(FocusIngestError, match="database refused the load"):
        ingest(catalogued, csv_bytes([focus_row()]))

    assert snapshot(catalogued)[0] == 0
    with catalogued() as session:
        assert session.scalars(select(IngestedFileRow.status)).all() == ["rejected"]
