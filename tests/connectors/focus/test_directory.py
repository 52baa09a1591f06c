"""ingest_directory loads each file once, in name order, and lists the rejected ones."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.focus import AllocationRules
from data.connectors.focus.directory import ingest_directory
from data.models import CostDailyRow
from tests.connectors.focus.builders import csv_bytes, focus_row, gzip_bytes
from tests.factories import T0


def total(sessions: sessionmaker[Session]) -> Decimal:
    with sessions() as session:
        return Decimal(str(session.scalar(select(func.sum(CostDailyRow.effective_cost)))))


def test_a_directory_loads_in_name_order_once_and_lists_rejections(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    exports = tmp_path / "exports"  # tmp_path also holds the SQLite database
    exports.mkdir()
    (exports / "2026-10-a.csv").write_bytes(csv_bytes([focus_row(EffectiveCost="5.00")]))
    (exports / "2026-10-b.csv.gz").write_bytes(gzip_bytes(csv_bytes([focus_row()])))
    (exports / "notes.txt").write_bytes(b"\x7fELF binary")
    (exports / ".hidden").write_bytes(b"ignored")

    first = ingest_directory(sessions, exports, source="dir", rules=AllocationRules(), now=T0)
    again = ingest_directory(
        sessions, exports, source="dir", rules=AllocationRules(), now=T0 + timedelta(hours=1)
    )

    assert [(e.path.name, e.report.status if e.report else e.error) for e in first] == [
        ("2026-10-a.csv", "loaded"),
        ("2026-10-b.csv.gz", "loaded"),
        ("notes.txt", first[2].error),
    ]
    assert "executable" in (first[2].error or "")
    assert [e.report.status for e in again if e.report] == ["already_ingested"] * 2
    assert total(sessions) == Decimal("1.50")  # b restated a's period
