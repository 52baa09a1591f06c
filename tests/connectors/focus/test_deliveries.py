"""Deliveries of several files, on SQLite and PostgreSQL: exactly the sum of their parts, once.

Expected totals are summed here from the raw rows with Decimal (`exports.decimal_sums`), never
through the connector, and compared to the cent with what the database holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from itertools import count
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.focus import AllocationRules, DirectoryEntry, ingest_directory
from data.models import CostDailyRow, IngestedFileRow
from tests.connectors.focus.builders import csv_bytes, focus_row
from tests.connectors.focus.exports import aws_files, azure_files, decimal_sums, split, write

RULES = AllocationRules()
NOW = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
CENT = Decimal("0.01")
LAYOUTS = ("aws", "aws-no-manifest", "azure", "azure-no-manifest")
_accounts = count(1)


def october(account: str, rows: int = 40, *, last_day: int = 28) -> list[dict[str, Any]]:
    """Hourly rows over October in two currencies, with credits and 11-decimal amounts."""
    made = []
    for i in range(rows):
        day, hour = 1 + i % last_day, i % 24
        amount = Decimal(i * 7919 % 10007) / 997 * (-1 if i % 9 == 4 else 1)
        made.append(
            focus_row(
                BillingAccountId=account, BillingCurrency="EUR" if i % 4 == 0 else "USD",
                EffectiveCost=f"{amount:.11f}", BilledCost=f"{amount * Decimal('1.1'):.11f}",
                ChargePeriodStart=f"2026-10-{day:02d}T{hour:02d}:00:00Z",
                ChargePeriodEnd=f"2026-10-{day:02d}T{hour:02d}:59:59Z",
            )
        )  # fmt: skip
    return made


def files_of(layout: str, chunks: Sequence[Sequence[Mapping[str, Any]]]) -> dict[str, bytes]:
    manifest = not layout.endswith("no-manifest")
    if layout.startswith("aws"):
        return aws_files(chunks, manifest=manifest)
    return azure_files(chunks, manifest=manifest)


def stored(
    sessions: sessionmaker[Session], account: str, column: str = "effective_cost"
) -> dict[str, Decimal]:
    money = getattr(CostDailyRow, column)
    with sessions() as session:
        sums = session.execute(
            select(CostDailyRow.billing_currency, func.sum(money))
            .where(CostDailyRow.billing_account_id == account)
            .group_by(CostDailyRow.billing_currency)
        )  # fmt: skip
        return {currency: Decimal(str(total)).quantize(CENT) for currency, total in sums}


def cents(sums: Mapping[str, Decimal]) -> dict[str, Decimal]:
    return {currency: total.quantize(CENT) for currency, total in sums.items()}


def run(sessions: sessionmaker[Session], root: Path) -> tuple[DirectoryEntry, ...]:
    return ingest_directory(sessions, root, source="billing-directory", rules=RULES, now=NOW)


@pytest.mark.parametrize("parts", [2, 5])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_delivery_stores_exactly_the_sum_of_its_parts(
    sessions: sessionmaker[Session], tmp_path: Path, layout: str, parts: int
) -> None:
    rows = october("111122223333")
    write(tmp_path / "exports", files_of(layout, split(rows, parts)))

    entries = run(sessions, tmp_path / "exports")

    assert [
        (entry.status, entry.report.part_count if entry.report else 0) for entry in entries
    ] == [("loaded", parts)]
    assert stored(sessions, "111122223333") == cents(decimal_sums(rows))
    assert stored(sessions, "111122223333", "billed_cost") == cents(
        decimal_sums(rows, "BilledCost")
    )


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    order=st.integers(2, 5).flatmap(lambda n: st.permutations(range(n))),
    layout=st.sampled_from(LAYOUTS),
)
def test_parts_arriving_one_at_a_time_in_any_order_give_the_same_totals(
    sessions: sessionmaker[Session], order: list[int], layout: str
) -> None:
    account = f"hyp-{next(_accounts)}"
    rows = october(account, rows=30)
    files = list(files_of(layout, split(rows, len(order))).items())
    manifests = [item for item in files if item[0].endswith(".json")]
    parts = [item for item in files if not item[0].endswith(".json")]
    arrivals = manifests + [parts[index] for index in order]
    with TemporaryDirectory() as directory:
        for arrived, (name, data) in enumerate(arrivals, start=1):
            write(Path(directory), {name: data})
            run(sessions, Path(directory))
            if manifests and arrived < len(arrivals):
                assert stored(sessions, account) == {}  # held until the last part

    assert stored(sessions, account) == cents(decimal_sums(rows))


def test_a_delivery_missing_a_part_is_held_names_it_and_loads_once_it_arrives(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rows = october("444455556666")
    files = aws_files(split(rows, 3))
    late = "cur2/data/BILLING_PERIOD=2026-10/cur2-00002.csv.gz"
    exports = tmp_path / "exports"  # tmp_path also holds the SQLite database
    write(exports, {name: data for name, data in files.items() if name != late})

    held = run(sessions, exports)
    write(exports, {late: files[late]})
    loaded = run(sessions, exports)

    assert [entry.status for entry in held] == ["held"]
    assert "cur2-00002.csv.gz" in (held[0].error or "")
    assert [entry.status for entry in loaded] == ["loaded"]
    assert stored(sessions, "444455556666") == cents(decimal_sums(rows))
    with sessions() as session:
        assert session.scalars(select(IngestedFileRow.status)).all() == ["loaded"]


def test_a_gap_in_part_numbers_without_a_manifest_is_held(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    files = aws_files(split(october("777788889999"), 3), manifest=False)
    write(tmp_path / "exports", {name: data for name, data in files.items() if "00002" not in name})

    (entry,) = run(sessions, tmp_path / "exports")

    assert entry.status == "held"
    assert "missing cur2-00002.csv.gz" in (entry.error or "")
    assert stored(sessions, "777788889999") == {}


def test_a_part_holding_fewer_rows_than_its_manifest_states_refuses_the_delivery(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rows = october("121212121212", rows=20)
    files = azure_files(split(rows, 2))
    first = next(name for name in files if name.endswith("part_0_0001.csv"))
    files[first] = csv_bytes(split(rows, 2)[0][:-3])  # cut short, as a sync in progress leaves it
    write(tmp_path / "exports", files)

    (entry,) = run(sessions, tmp_path / "exports")

    assert entry.status == "refused"
    assert "part_0_0001.csv holds 7 rows where its manifest says 10" in (entry.error or "")
    assert stored(sessions, "121212121212") == {}
