"""The validation report shown before ingest says what ingest then stores (issue 13.7).

Before, the report counted only untagged rows as unallocated ("no warnings, unallocated 60")
while ingest also counted rows naming an unknown service (160, and a warning); a delivery
whose rows all named unknown services stored the untagged credit alone as its unallocated
cost (−1.02 for 14.98 that no service claimed).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.focus import AllocationRules, ingest_file, validate_file
from data.connectors.focus.references import service_references
from data.models import CostDailyRow, IngestedFileRow
from data.repos import services
from tests.connectors.focus.builders import csv_bytes, focus_row
from tests.factories import make_new_service

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def _row(usd: str, tags: dict[str, str]) -> dict[str, str]:
    return focus_row(BilledCost=usd, EffectiveCost=usd, ListCost=usd, ContractedCost=usd,
                     Tags=json.dumps(tags))  # fmt: skip


def _unallocated(totals: dict[str, dict[str, str]]) -> Decimal:
    return Decimal(totals["USD"]["unallocated_effective_cost"])


def _checkout(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        services.add_services(session, [make_new_service("checkout")], now=NOW)


def test_rows_naming_an_unknown_service_are_unallocated_before_and_after_ingest(
    sessions: sessionmaker[Session],
) -> None:
    _checkout(sessions)
    data = csv_bytes([
        _row("50.00", {"service": "checkout"}), _row("50.00", {"service": "checkout"}),
        _row("60.00", {}), _row("100.00", {"service": "ghost"}),
    ])  # fmt: skip
    with sessions() as session:
        known = service_references(session)

    report = validate_file(data, name="bill.csv", known_services=known)
    loaded = ingest_file(sessions, data, source="upload", rules=AllocationRules(), now=NOW,
                         name="bill.csv")  # fmt: skip

    assert _unallocated(report.totals_json()) == Decimal("160")
    assert [w.code for w in report.warnings] == ["unknown_service"]
    assert _unallocated(loaded.totals) == Decimal("160")
    assert [w.code for w in loaded.warnings] == ["unknown_service"]
    with sessions() as session:
        stored = session.scalar(
            select(func.sum(CostDailyRow.effective_cost)).where(CostDailyRow.service_id.is_(None))
        )
        delivery = session.scalars(select(IngestedFileRow)).one()
    assert Decimal(stored or 0) == Decimal("160")
    assert _unallocated(delivery.totals) == Decimal("160")


def test_a_delivery_no_service_claims_stores_all_of_it_as_unallocated(
    sessions: sessionmaker[Session],
) -> None:
    _checkout(sessions)
    data = csv_bytes([_row("16.00", {"service": "ghost"}), _row("-1.02", {})])

    loaded = ingest_file(sessions, data, source="upload", rules=AllocationRules(), now=NOW,
                         name="credit.csv")  # fmt: skip

    assert _unallocated(loaded.totals) == Decimal("14.98")
    with sessions() as session:
        delivery = session.scalars(select(IngestedFileRow)).one()
    assert _unallocated(delivery.totals) == Decimal("14.98")
