"""How much CSV the parser converts and sums at once (decision 028) changes nothing stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.focus import AllocationRules, FileRejected, IngestLimits, ingest_file
from data.db import make_engine, make_sessions
from data.migrate import upgrade
from data.models import CommitmentDailyRow, CostDailyRow, IngestedFileRow
from data.settings import Settings
from tests.connectors.focus.builders import COLUMNS_1_2, csv_bytes, focus_row
from tests.connectors.focus.test_split import varied_row
from tests.factories import T0

COMMITMENT_COLUMNS = (
    "CommitmentDiscountId", "CommitmentDiscountStatus", "CommitmentDiscountName",
    "CommitmentDiscountType",
)  # fmt: skip
BLOCKS = {
    "default": IngestLimits(parallel_csv_bytes=2**40),
    "small blocks": IngestLimits(
        parallel_csv_bytes=2**40, csv_block_bytes=8 * 1024, csv_batch_rows=1
    ),
    "small blocks joined": IngestLimits(
        parallel_csv_bytes=2**40, csv_block_bytes=8 * 1024, csv_batch_rows=500
    ),
    # Summed with the running sums every few batches, while the stream goes on (session 9).
    "small blocks summed often": IngestLimits(
        parallel_csv_bytes=2**40, csv_block_bytes=8 * 1024, csv_batch_rows=1, sum_rows=1
    ),
    "small blocks, parallel parts": IngestLimits(
        parallel_csv_bytes=1,
        csv_part_bytes=64 * 1024,
        csv_readers=2,
        csv_block_bytes=8 * 1024,
        csv_batch_rows=1,
    ),
}


def _clean_row(i: int) -> dict[str, Any]:
    """Valid rows over days, services, categories and a commitment; some carry warnings."""
    used = i % 7 == 0
    return focus_row(
        BilledCost=f"{i}.{i % 97:02d}",
        EffectiveCost=f"{i % 13}.{i:04d}",
        ListCost="" if i % 29 == 0 else f"{i % 31}.123456789012345678",  # 18 places: rounded
        ChargePeriodStart=f"2026-10-{1 + i % 9:02d}T{i % 24:02d}:00:00Z",
        ChargePeriodEnd=f"2026-10-{1 + i % 9:02d}T{i % 24:02d}:59:59Z",
        ServiceCategory="compute" if i % 17 == 0 else ("Compute", "Storage", "Other")[i % 3],
        Tags=f'{{"service": "svc-{i % 5}"}}' if i % 19 else "",
        CommitmentDiscountId="ri-1" if used else "",
        CommitmentDiscountStatus="Used" if used else "",
        CommitmentDiscountName="RI one" if used else "",
        CommitmentDiscountType="Reservation" if used else "",
    )


def _fresh(directory: Path, name: str) -> sessionmaker[Session]:
    engine = make_engine(Settings(database_url=f"sqlite:///{directory}/{name}.db", _env_file=None))
    upgrade(engine)
    return make_sessions(engine)


def _stored(sessions: sessionmaker[Session]) -> dict[str, Any]:
    with sessions() as session:
        costs = session.execute(select(*CostDailyRow.__table__.c)).all()
        days = session.execute(select(*CommitmentDailyRow.__table__.c)).all()
        file = session.scalars(select(IngestedFileRow)).one()
        recorded = (file.rows_read, file.rows_loaded, file.totals, file.warnings, file.errors)
    return {"costs": sorted(costs, key=repr), "days": sorted(days, key=repr), "file": recorded}


def test_every_block_size_and_split_stores_the_same_rows_and_totals(tmp_path: Path) -> None:
    columns = [*COLUMNS_1_2, *COMMITMENT_COLUMNS]
    data = csv_bytes((_clean_row(i) for i in range(6_000)), columns=columns)
    assert len(data) > 40 * 8 * 1024  # many blocks, several parts

    stored = {}
    for label, limits in BLOCKS.items():
        sessions = _fresh(tmp_path, label.replace(" ", "-").replace(",", ""))
        report = ingest_file(
            sessions, data, source="t", rules=AllocationRules(), now=T0, name="f.csv",
            limits=limits,
        )  # fmt: skip
        assert report.status == "loaded", report
        stored[label] = _stored(sessions)

    assert stored["default"]["costs"]
    assert stored["default"]["days"]
    assert stored["small blocks"] == stored["default"]
    assert stored["small blocks joined"] == stored["default"]
    assert stored["small blocks summed often"] == stored["default"]
    assert stored["small blocks, parallel parts"] == stored["default"]


@pytest.mark.parametrize("label", list(BLOCKS))
def test_a_broken_row_in_a_late_block_is_named_and_nothing_is_stored(
    tmp_path: Path, label: str
) -> None:
    rows = [varied_row(i) for i in range(4_000) if i % 11]
    rows[3_000] = focus_row(EffectiveCost="$12")
    data = csv_bytes(rows)
    sessions = _fresh(tmp_path, "broken")

    with pytest.raises(FileRejected) as rejected:
        ingest_file(
            sessions, data, source="t", rules=AllocationRules(), now=T0, name="f.csv",
            limits=BLOCKS[label],
        )  # fmt: skip

    assert "EffectiveCost is not a number" in str(rejected.value)
    (finding,) = [f for f in rejected.value.report.errors if f.code == "EffectiveCost:not_a_number"]
    assert finding.rows == (3_001,)
    with sessions() as session:
        assert session.scalars(select(CostDailyRow)).first() is None
        assert session.scalars(select(IngestedFileRow.status)).all() == ["rejected"]
