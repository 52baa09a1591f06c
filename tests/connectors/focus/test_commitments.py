"""Commitment utilization stored at ingest: per day and currency, replaced with its partition."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.demo.costs import TaggedCost, write_focus_files
from data.connectors.focus import AllocationRules, FileRejected, ingest_file, stage_file
from data.connectors.focus.commitments import (
    CommitmentDay,
    commitment_utilization,
    utilization_by_commitment,
)
from data.models import CommitmentDailyRow
from data.repos.costs import DailyCost
from tests.connectors.focus.builders import COLUMNS_1_2, csv_bytes, focus_row
from tests.connectors.focus.test_spec_fixtures import EXPECTED, SPEC_DIR, completed
from tests.factories import T0

PLAN = "arn:aws:savingsplans::123456789012:savingsplan/sp-1"
COLUMNS = (
    *COLUMNS_1_2,
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountType",
    "CommitmentDiscountStatus",
)
# The spec's scenarios that pass cost validation once completed (two purchase scenarios carry
# the spec's invalid timestamp and are rejected, as test_spec_fixtures shows).
LOADABLE = sorted(
    set(EXPECTED) - {f"commitment_discount_purchase_scenario_{n}.csv" for n in (2, 3)}
)


def committed(**overrides: Any) -> dict[str, Any]:
    """An hour of compute covered by the savings plan: $1.50 used."""
    plan = {
        "PricingCategory": "Committed",
        "CommitmentDiscountId": PLAN,
        "CommitmentDiscountName": "Compute SP 1y",
        "CommitmentDiscountType": "Savings Plan",
        "CommitmentDiscountStatus": "Used",
    }
    return focus_row(**(plan | overrides))


def unused(**overrides: Any) -> dict[str, Any]:
    """The plan's unused hour: usage of nothing, no tags, $0.50 of waste."""
    return committed(
        **({"CommitmentDiscountStatus": "Unused", "EffectiveCost": "0.50", "Tags": ""} | overrides)
    )


def ingest(sessions: sessionmaker[Session], rows: list[dict[str, Any]], **kwargs: Any) -> Any:
    options: dict[str, Any] = {"source": "aws-cur", "rules": AllocationRules(), "now": T0}
    return ingest_file(sessions, csv_bytes(rows, columns=COLUMNS), **(options | kwargs))


def stored(sessions: sessionmaker[Session]) -> list[CommitmentDay]:
    with sessions() as session:
        rows = session.scalars(
            select(CommitmentDailyRow).order_by(
                CommitmentDailyRow.commitment_discount_id,
                CommitmentDailyRow.charge_date,
                CommitmentDailyRow.billing_currency,
            )
        ).all()
        return [
            CommitmentDay(
                r.commitment_discount_id,
                r.commitment_discount_name,
                r.commitment_discount_type,
                r.charge_date,
                r.billing_currency,
                r.billing_account_id or "",
                r.used_effective_cost,
                r.unused_effective_cost,
            )
            for r in rows
        ]


@pytest.mark.parametrize("name", LOADABLE)
def test_stored_rows_reproduce_the_spec_scenarios_utilization(
    sessions: sessionmaker[Session], name: str
) -> None:
    options: dict[str, Any] = {"source": "spec", "rules": AllocationRules(), "now": T0}

    ingest_file(sessions, completed(name), **options)

    assert utilization_by_commitment(stored(sessions)) == commitment_utilization(SPEC_DIR / name)


def test_hourly_rows_sum_per_day_and_currency_with_the_plans_name_and_type(
    sessions: sessionmaker[Session],
) -> None:
    next_day = {"ChargePeriodStart": "2026-10-06T10:00:00Z", "ChargePeriodEnd": "2026-10-06T11:00"}
    rows = [
        committed(),
        committed(ChargePeriodStart="2026-10-05T23:00:00Z", ChargePeriodEnd="2026-10-06T00:00Z"),
        unused(),
        committed(**next_day),
        committed(BillingCurrency="EUR", EffectiveCost="2.25"),
    ]

    report = ingest(sessions, rows)

    assert report.commitment_rows == 3
    assert [(d.charge_date, d.billing_currency, d.used_effective_cost, d.unused_effective_cost)
            for d in stored(sessions)] == [
        (date(2026, 10, 5), "EUR", Decimal("2.25"), Decimal(0)),
        (date(2026, 10, 5), "USD", Decimal("3.00"), Decimal("0.50")),
        (date(2026, 10, 6), "USD", Decimal("1.50"), Decimal(0)),
    ]  # fmt: skip
    assert {(d.commitment_discount_name, d.commitment_discount_type) for d in stored(sessions)} == {
        ("Compute SP 1y", "Savings Plan")
    }


def test_purchases_standard_usage_and_other_statuses_measure_no_commitment(
    sessions: sessionmaker[Session],
) -> None:
    rows = [
        committed(ChargeCategory="Purchase", ChargeFrequency="Recurring", Tags=""),
        focus_row(),  # on-demand usage: no commitment at all
        committed(CommitmentDiscountStatus=""),
        committed(CommitmentDiscountId="", CommitmentDiscountStatus="Used"),
        committed(CommitmentDiscountStatus="used"),  # re-cased: still Used
    ]

    report = ingest(sessions, rows)

    (day,) = stored(sessions)
    assert (day.used_effective_cost, day.unused_effective_cost) == (Decimal("1.50"), Decimal(0))
    assert report.commitment_rows == 1


def test_a_restatement_replaces_the_commitment_days_of_its_partition(
    sessions: sessionmaker[Session],
) -> None:
    other_account = committed(BillingAccountId="555")
    ingest(sessions, [committed(), unused(), other_account])

    ingest(sessions, [committed(), unused(EffectiveCost="0.10")], now=T0 + timedelta(days=1))

    assert sorted((d.billing_account_id, d.unused_effective_cost) for d in stored(sessions)) == [
        ("123456789012", Decimal("0.10")),
        ("555", Decimal(0)),
    ]


def test_a_delivery_emptied_by_a_restatement_takes_out_of_period_commitment_days_along(
    sessions: sessionmaker[Session],
) -> None:
    late = {"ChargePeriodStart": "2026-11-03T10:00:00Z", "ChargePeriodEnd": "2026-11-03T11:00Z"}
    ingest(sessions, [committed(), committed(**late)])

    ingest(sessions, [committed(EffectiveCost="1.00")], now=T0 + timedelta(days=1))

    assert [(d.charge_date, d.used_effective_cost) for d in stored(sessions)] == [
        (date(2026, 10, 5), Decimal("1.00"))
    ]


def test_a_rejected_file_stores_no_commitment_day(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(FileRejected):
        ingest(sessions, [committed(), unused(EffectiveCost="1,5")])

    assert stored(sessions) == []


def test_the_same_file_twice_stores_its_commitment_days_once(
    sessions: sessionmaker[Session],
) -> None:
    ingest(sessions, [committed(), unused()])

    again = ingest(sessions, [committed(), unused()], now=T0 + timedelta(days=1))

    assert again.status == "already_ingested"
    assert len(stored(sessions)) == 1


def test_the_demo_export_carries_a_savings_plan_and_a_reservation_with_waste(
    tmp_path: Path,
) -> None:
    days = [date(2026, 10, 1) + timedelta(days=n) for n in range(3)]
    tagged = [
        TaggedCost(
            DailyCost(None, day, "Compute", "USD", usd, usd, usd * 1.3, "AWS", "210987654321"),
            slug,
            "team",
        )
        for day in days
        for slug, usd in (("svc-a", 10.0), ("svc-b", 5.0), ("svc-c", 40.0), ("svc-d", 8.0))
    ]

    (path,) = write_focus_files(tmp_path, tagged)
    parsed = stage_file(path, rules=AllocationRules())

    by_type = {
        day.commitment_discount_type: float(utilization_by_commitment([day])[0].utilization or 0)
        for day in parsed.commitments
    }
    assert by_type == pytest.approx({"Savings Plan": 0.9, "Reservation": 0.75})
    total = sum((cost.effective_cost for cost in parsed.costs), Decimal(0))
    waste = sum((day.unused_effective_cost for day in parsed.commitments), Decimal(0))
    assert total == pytest.approx(Decimal(3 * 63) + waste)
