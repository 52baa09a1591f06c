"""The upload takes several files as one delivery: the parts add up, a missing part holds it."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import PurePosixPath

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from data.models import CostDailyRow, IngestedFileRow
from tests.connectors.focus.builders import csv_bytes
from tests.connectors.focus.exports import aws_files, decimal_sums, split
from tests.connectors.focus.test_deliveries import october
from tests.dashboard.conftest import open_page, sessions_on

PAGE = "app_pages/data_sources.py"
ROWS = october("123456789012", rows=24)


@pytest.fixture
def db(empty_database: str) -> Iterator[sessionmaker[Session]]:
    yield from sessions_on(empty_database)


def uploads(files: dict[str, bytes]) -> list[tuple[str, bytes, str]]:
    """What a browser sends: each file under its own name, folders gone."""
    return [
        (PurePosixPath(name).name, data, "application/octet-stream") for name, data in files.items()
    ]


def shown(at: AppTest, kind: str) -> str:
    return "\n".join(str(element.value) for element in getattr(at, kind)).replace("\\", "")


def stored_effective(db: sessionmaker[Session]) -> Decimal:
    with db() as session:
        return Decimal(str(session.scalar(select(func.sum(CostDailyRow.effective_cost))) or 0))


def test_two_halves_uploaded_together_are_one_delivery_storing_their_sum(
    db: sessionmaker[Session],
) -> None:
    halves = {"october-a.csv": csv_bytes(ROWS[:12]), "october-b.csv": csv_bytes(ROWS[12:])}
    at = open_page(PAGE)

    at.file_uploader(key="ds_upload").set_value(uploads(halves)).run()
    report = shown(at, "success")
    at.button(key="ds_ingest").click().run()

    assert not at.exception, [e.message for e in at.exception]
    assert "is a valid FOCUS 1.2 delivery of 2 files: 24 rows" in report
    assert "Ingested 2 files: october-a.csv, october-b.csv: 24 rows" in shown(at, "success")
    expected = sum(decimal_sums(ROWS).values(), Decimal(0))
    assert stored_effective(db).quantize(Decimal("0.01")) == expected.quantize(Decimal("0.01"))


def test_an_export_missing_a_part_its_manifest_names_is_held_and_says_which(
    db: sessionmaker[Session],
) -> None:
    files = aws_files(split(ROWS, 3))
    del files["cur2/data/BILLING_PERIOD=2026-10/cur2-00002.csv.gz"]
    at = open_page(PAGE)

    at.file_uploader(key="ds_upload").set_value(uploads(files)).run()

    error = shown(at, "error")
    assert "the delivery is held: upload the missing parts together with the others" in error
    assert "cur2-00002.csv.gz is part of this delivery but was not delivered" in error
    assert at.button(key="ds_ingest").disabled
    with db() as session:
        assert session.scalar(select(func.count()).select_from(IngestedFileRow)) == 0
