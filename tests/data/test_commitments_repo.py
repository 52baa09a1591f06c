"""Commitment utilization (used vs unused EffectiveCost) and coverage of compute usage."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from data.models import CommitmentDailyRow, CostDailyRow, IngestedFileRow
from data.repos.commitments import commitment_usage

START = date(2026, 11, 1)
END = date(2026, 11, 10)
NOW = datetime(2026, 11, 15, tzinfo=UTC)


def _file(session: Session) -> int:
    row = IngestedFileRow(
        source="test",
        file_name="focus.csv",
        content_sha256="h" * 64,
        status="loaded",
        ingested_at=NOW,
    )
    session.add(row)
    session.flush()
    return row.id


def _commitment(
    file_id: int, cid: str, day: date, used: str, unused: str, account: str | None = "acct-1"
) -> dict[str, object]:
    return {
        "ingested_file_id": file_id,
        "commitment_discount_id": cid,
        "commitment_discount_name": cid.upper(),
        "commitment_discount_type": "Savings Plan",
        "charge_date": day,
        "billing_currency": "USD",
        "billing_account_id": account,
        "used_effective_cost": Decimal(used),
        "unused_effective_cost": Decimal(unused),
    }


def _usage(
    day: date, amount: str, category: str = "Compute", charge: str = "Usage"
) -> dict[str, object]:
    return {
        "service_id": None,
        "charge_date": day,
        "service_category": category,
        "billing_currency": "USD",
        "billed_cost": Decimal(amount),
        "effective_cost": Decimal(amount),
        "list_cost": Decimal(amount),
        "provider": "aws",
        "charge_category": charge,
        "billing_account_id": "acct-1",
    }


@pytest.fixture
def loaded(sessions: sessionmaker[Session]) -> None:
    """10 days: sp-a used 8 unused 2 a day, sp-b used 1 unused 3 a day; compute usage 52 a day
    (of which 10 is sp-a/sp-b's used, 5 their unused waste), storage 100 a day, a 30 credit."""
    days = [START + timedelta(days=i) for i in range(10)]
    with sessions.begin() as session:
        file_id = _file(session)
        rows = [_commitment(file_id, "sp-a", d, "8", "2") for d in days]
        rows += [_commitment(file_id, "sp-b", d, "1", "3") for d in days]
        rows += [_commitment(file_id, "sp-a", END + timedelta(days=1), "0", "10")]  # outside
        session.execute(insert(CommitmentDailyRow), rows)
        usage = [_usage(d, "50") for d in days] + [_usage(d, "100", "Storage") for d in days]
        usage += [_usage(START, "-30", charge="Credit")]
        session.execute(insert(CostDailyRow), usage)


@pytest.mark.usefixtures("loaded")
def test_utilization_and_coverage_per_commitment(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        frame = commitment_usage(session, start=START, end=END)

    by_id = frame.set_index("commitment_discount_id")
    assert list(frame["commitment_discount_id"]) == ["sp-b", "sp-a"]  # most unused first
    assert by_id.loc["sp-a", "used_effective_cost"] == 80.0
    assert by_id.loc["sp-a", "unused_effective_cost"] == 20.0
    assert by_id.loc["sp-a", "utilization_pct"] == pytest.approx(80.0)
    assert by_id.loc["sp-b", "utilization_pct"] == pytest.approx(25.0)
    # Eligible: 500 compute usage − 50 unused waste = 450; sp-a covered 80 of it, sp-b 10.
    assert by_id.loc["sp-a", "coverage_pct"] == pytest.approx(100 * 80 / 450)
    assert by_id.loc["sp-b", "coverage_pct"] == pytest.approx(100 * 10 / 450)
    assert by_id.loc["sp-a", "days"] == 10


def test_no_eligible_usage_leaves_coverage_empty(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        file_id = _file(session)
        session.execute(
            insert(CommitmentDailyRow),
            [_commitment(file_id, "ri-1", START, "0", "4", account=None)],
        )

    with sessions() as session:
        frame = commitment_usage(session, start=START, end=END)

    assert frame.loc[0, "utilization_pct"] == 0.0
    assert math.isnan(float(frame["coverage_pct"].iloc[0]))


def test_no_commitment_gives_an_empty_table_with_its_columns(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        frame = commitment_usage(session, start=START, end=END)

    assert frame.empty
    assert "utilization_pct" in frame.columns
