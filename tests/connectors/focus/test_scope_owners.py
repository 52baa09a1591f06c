"""One owner per scope across routes (directory, upload, billing API), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.billing_api import Page, ingest_period, parse_page
from data.connectors.focus import (
    AllocationRules,
    PartFile,
    ScopeConflict,
    ingest_delivery,
    ingest_directory,
    plan_upload,
)
from data.connectors.focus.directory import problems
from data.models import BillingScopeRow, CostDailyRow, IngestedFileRow
from tests.connectors.focus.builders import csv_bytes, focus_row
from tests.connectors.focus.exports import aws_files, azure_files, decimal_sums, split, write
from tests.connectors.focus.test_deliveries import CENT, cents, october, stored

RULES = AllocationRules()
NOW = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
ACCOUNT = "123456789012"


class FakeApi:
    """A billing API serving one page of items (the PageSource a pull needs)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.items = [{k: (v if v != "" else None) for k, v in row.items()} for row in rows]

    def fetch_page(self, billing_period: str, page_token: str | None = None) -> Page:
        body = {"billing_period": billing_period, "items": self.items, "next_page_token": None}
        return parse_page(json.dumps(body).encode())


def in_period(start: str, end: str, day: str) -> dict[str, Any]:
    """A $4 row of `day` in the billing period [start, end)."""
    return focus_row(
        BillingPeriodStart=f"{start}T00:00:00Z", BillingPeriodEnd=f"{end}T00:00:00Z",
        ChargePeriodStart=f"{day}T00:00:00Z", ChargePeriodEnd=f"{day}T01:00:00Z",
        EffectiveCost="4.00",
    )  # fmt: skip


def upload(sessions: sessionmaker[Session], files: dict[str, bytes]) -> Any:
    planned = plan_upload([PartFile(name, data) for name, data in files.items()])
    return ingest_delivery(sessions, planned, source="upload", rules=RULES, now=NOW)


def directory(sessions: sessionmaker[Session], root: Path, files: dict[str, bytes]) -> Any:
    write(root, files)
    return ingest_directory(sessions, root, source="billing-directory", rules=RULES, now=NOW)


def statuses(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    with sessions() as session:
        rows = session.execute(
            select(IngestedFileRow.source, IngestedFileRow.status).order_by(IngestedFileRow.id)
        )
        return [(source, status) for source, status in rows]


def test_the_same_period_via_directory_upload_and_billing_api_is_stored_once(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rows = october(ACCOUNT)

    directory(sessions, tmp_path / "exports", aws_files(split(rows, 2)))
    by_upload = upload(sessions, {"october.csv": csv_bytes(rows)})
    by_api = ingest_period(sessions, FakeApi(rows), "2026-10", rules=RULES, now=NOW, max_pages=2)

    assert (by_upload.status, by_api.status if by_api else None) == ("loaded", "loaded")
    assert stored(sessions, ACCOUNT) == cents(decimal_sums(rows))
    assert statuses(sessions) == [
        ("billing-directory", "superseded"), ("upload", "superseded"), ("billing-api", "loaded")
    ]  # fmt: skip
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(BillingScopeRow)) == 1


def test_an_older_delivery_after_a_newer_one_changes_nothing(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    newer = october(ACCOUNT, last_day=20)
    older = [dict(row, EffectiveCost="9.99") for row in october(ACCOUNT, last_day=10)]
    directory(sessions, tmp_path / "exports", aws_files(split(newer, 2)))

    report = upload(sessions, {"early-october.csv": csv_bytes(older)})

    assert report.status == "outdated"
    assert "which is newer (charges through 2026-10-20" in report.notes[0]
    assert stored(sessions, ACCOUNT) == cents(decimal_sums(newer))


def test_an_export_stated_older_by_its_manifest_changes_nothing(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rows = october(ACCOUNT)
    restated = [dict(row, EffectiveCost="1.00") for row in rows]
    late = azure_files(split(restated, 2), run_id="run-2", submitted="2026-11-02T06:00:00Z")
    early = azure_files(split(rows, 3), run_id="run-1", submitted="2026-11-01T06:00:00Z")
    directory(sessions, tmp_path / "a", late)

    (entry,) = directory(sessions, tmp_path / "b", early)

    assert entry.status == "outdated"
    assert "exported 2026-11-02 06:00 UTC" in entry.notes[0]
    assert stored(sessions, ACCOUNT) == cents(decimal_sums(restated))


def test_a_scope_overlapping_a_stored_one_is_refused_instead_of_summed(
    sessions: sessionmaker[Session],
) -> None:
    upload(sessions, {"october.csv": csv_bytes(october(ACCOUNT))})
    before = stored(sessions, ACCOUNT)
    shifted = [in_period("2026-10-15", "2026-11-15", "2026-10-20")]

    with pytest.raises(ScopeConflict, match="overlaps delivery #1's AWS 2026-10-01–2026-11-01"):
        upload(sessions, {"shifted.csv": csv_bytes(shifted)})

    assert stored(sessions, ACCOUNT) == before
    assert statuses(sessions) == [("upload", "loaded"), ("upload", "rejected")]


def test_the_same_account_and_period_under_another_provider_name_is_refused(
    sessions: sessionmaker[Session],
) -> None:
    upload(sessions, {"aws.csv": csv_bytes([focus_row()])})

    with pytest.raises(ScopeConflict, match="Amazon Web Services 2026-10-01–2026-11-01 overlaps"):
        upload(
            sessions, {"renamed.csv": csv_bytes([focus_row(ProviderName="Amazon Web Services")])}
        )

    assert stored(sessions, ACCOUNT) == {"USD": Decimal("1.50")}


def test_a_delivery_partly_owned_by_newer_ones_loads_only_its_other_scopes(
    sessions: sessionmaker[Session],
) -> None:
    upload(sessions, {"october.csv": csv_bytes(october(ACCOUNT, last_day=20))})
    backfill = [*october(ACCOUNT, last_day=10), in_period("2026-09-01", "2026-10-01", "2026-09-03")]

    report = upload(sessions, {"backfill.csv": csv_bytes(backfill)})

    assert report.status == "loaded"
    (note,) = report.notes
    assert "2026-10-01–2026-11-01: kept delivery #1" in note
    september = CostDailyRow.charge_date < date(2026, 10, 1)
    with sessions() as session:
        total = session.scalar(select(func.sum(CostDailyRow.effective_cost)).where(september))
    assert Decimal(str(total)).quantize(CENT) == Decimal("4.00")
    kept_october = october(ACCOUNT, last_day=20)
    assert stored(sessions, ACCOUNT) == cents(decimal_sums([*kept_october, backfill[-1]]))


@pytest.mark.parametrize("column", ["SubAccountId", "ChargeDescription"])
def test_a_nul_byte_file_is_refused_by_row_and_column_while_a_good_file_beside_it_loads(
    sessions: sessionmaker[Session], tmp_path: Path, column: str
) -> None:
    bad_rows = [focus_row(BillingAccountId="999") for _ in range(300)]
    bad_rows[250] = focus_row(BillingAccountId="999", **{column: "a\x00b"})  # past the first 4 KB
    good_rows = october(ACCOUNT)

    entries = directory(
        sessions, tmp_path / "exports",
        {"a-bad.csv": csv_bytes(bad_rows), "b-good.csv": csv_bytes(good_rows)},
    )  # fmt: skip

    assert [(entry.name, entry.status) for entry in entries] == [
        ("a-bad.csv", "refused"), ("b-good.csv", "loaded")
    ]  # fmt: skip
    assert f"(column {column}); rows 251" in (entries[0].error or "")
    assert (problems(entries) or "").startswith("1 of 2 refused: a-bad.csv: ")
    assert stored(sessions, ACCOUNT) == cents(decimal_sums(good_rows))
    assert statuses(sessions) == [
        ("billing-directory", "rejected"),
        ("billing-directory", "loaded"),
    ]
