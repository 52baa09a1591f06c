"""A big CSV parsed in parts by parallel readers gives exactly what one reader gives."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.connectors.focus import AllocationRules, IngestLimits, validate_file
from data.connectors.focus.parse import ParsedFile, parse_file
from data.connectors.focus.source import inspect, read_raw
from data.connectors.focus.split import split_parts
from data.errors import TooManyRows
from tests.connectors.focus.builders import csv_bytes, focus_row

ONE_READER = IngestLimits(parallel_csv_bytes=2**40)


def split(part_bytes: int = 2**30, readers: int = 2, **caps: Any) -> IngestLimits:
    """Limits that split even a tiny file (two parts unless `part_bytes` makes more)."""
    return IngestLimits(
        parallel_csv_bytes=1, csv_part_bytes=part_bytes, csv_readers=readers, **caps
    )


def parsed(data: bytes, limits: IngestLimits) -> ParsedFile:
    source = inspect(read_raw(data, name="focus.csv"), limits=limits)
    return parse_file(source, rules=AllocationRules(), limits=limits)


def varied_row(i: int, *, newline_every: int = 0) -> dict[str, Any]:
    """Rows over days, services and currencies, some with warnings and some with errors."""
    description = "runs\nall day" if newline_every and i % newline_every == 0 else "runs"
    return focus_row(
        BilledCost=f"{i}.{i % 97:02d}",
        EffectiveCost=f"{i % 13}.5",
        BillingCurrency=("USD", "EUR", "US$")[i % 3] if i % 11 == 0 else "USD",
        ChargePeriodStart=f"2026-10-{1 + i % 9:02d}T10:00:00Z",
        ServiceCategory="compute" if i % 17 == 0 else "Compute",
        ChargeDescription=description,
        Tags=f'{{"service": "svc-{i % 5}"}}',
    )


def same_result(split_read: ParsedFile, one_read: ParsedFile) -> None:
    assert split_read.report == one_read.report
    assert sorted(split_read.costs, key=repr) == sorted(one_read.costs, key=repr)
    assert sorted(split_read.commitments, key=repr) == sorted(one_read.commitments, key=repr)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.integers(min_value=1, max_value=300),
    part_bytes=st.integers(min_value=100, max_value=20_000),
    readers=st.integers(min_value=2, max_value=3),
    newline_every=st.sampled_from([0, 7, 50]),
)
def test_parts_read_in_parallel_give_the_one_reader_report_and_daily_rows(
    rows: int, part_bytes: int, readers: int, newline_every: int
) -> None:
    data = csv_bytes(varied_row(i, newline_every=newline_every) for i in range(rows))

    split_read = parsed(data, split(part_bytes, readers))

    same_result(split_read, parsed(data, ONE_READER))


def test_a_quoted_newline_at_the_midpoint_stays_inside_its_value() -> None:
    middle = focus_row(ChargeDescription="x" * 500 + "\n" + "y" * 500)
    data = csv_bytes([focus_row()] * 200 + [middle] + [focus_row()] * 200)
    assert b"x" * 500 + b"\n" in data[len(data) // 2 - 500 : len(data) // 2 + 500]

    report = validate_file(data, limits=split())

    assert report.ok, report.summary()
    assert report.rows_read == 401
    assert report == validate_file(data, limits=ONE_READER)


def test_a_cut_by_quote_parity_falls_after_the_record_that_holds_a_newline() -> None:
    data = b'h\n"a\nb"\n"c"\n'

    parts = split_parts(pa.py_buffer(data), parts=2)

    assert [(part.start, part.end) for part in parts] == [(0, 8), (8, 12)]


def test_a_bad_line_in_a_later_part_is_named_by_its_line_in_the_file() -> None:
    rows = [varied_row(i) for i in range(60_000) if i % 11]
    data = csv_bytes(rows[:49_999])
    data += b"1.50,only,three\n" + csv_bytes(rows[49_999:]).split(b"\n", 1)[1]

    report = validate_file(data, limits=split(part_bytes=1024**2))

    (finding,) = [f for f in report.errors if f.code == "malformed_line"]
    assert finding.message.startswith("line 50,001: expected 27 cells, found 3")


def test_a_bad_line_after_a_quoted_newline_counts_physical_lines() -> None:
    rows = [focus_row(ChargeDescription="two\nlines")] + [focus_row()] * 3_000
    data = csv_bytes(rows) + b"1.50,only,three\n"

    report = validate_file(data, limits=split(part_bytes=64 * 1024))

    (finding,) = [f for f in report.errors if f.code == "malformed_line"]
    assert finding.message.startswith("line 3,003: ")


def test_a_bad_value_in_a_later_part_is_named_by_its_row() -> None:
    rows = [focus_row()] * 60_000
    rows[50_000] = focus_row(BillingCurrency="US$")

    report = validate_file(csv_bytes(rows), limits=split(part_bytes=1024**2))

    (finding,) = report.errors
    assert finding.rows == (50_001,)


@pytest.mark.parametrize(("max_rows", "refused"), [(2_999, True), (3_000, False)])
def test_the_row_cap_counts_the_rows_of_every_part(max_rows: int, refused: bool) -> None:
    data = csv_bytes([focus_row()] * 3_000)
    limits = split(part_bytes=32 * 1024, readers=3, max_rows=max_rows)

    if refused:
        with pytest.raises(TooManyRows, match="more than 2,999 rows"):
            parsed(data, limits)
    else:
        assert parsed(data, limits).report.rows_read == 3_000


def test_a_stray_quote_inside_a_value_still_reads_like_one_reader() -> None:
    rows = [focus_row(ChargeDescription='a 5" disk')] + [focus_row()] * 300
    rows[200] = focus_row(ChargeDescription="two\nlines")
    data = csv_bytes(rows).replace(b'"a 5"" disk"', b'a 5" disk')

    same_result(parsed(data, split()), parsed(data, ONE_READER))
