"""Hostile and broken files are refused whole, quickly, with a message that says what to fix."""

from __future__ import annotations

import io
import tracemalloc

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data.connectors.focus import IngestLimits, ValidationReport, validate_file
from tests.connectors.focus.builders import csv_bytes, focus_row, gzip_bytes, parquet_bytes


def only_error(report: ValidationReport) -> str:
    assert len(report.errors) == 1, report.summary()
    return report.errors[0].message


def parquet_bomb(declared_rows: int) -> bytes:
    """A tiny file whose one constant column expands to `declared_rows` rows (dictionary + RLE)."""
    table = pa.table({"BilledCost": pa.repeat(pa.scalar("1.0"), declared_rows)})
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", row_group_size=declared_rows)
    return sink.getvalue()


def test_a_parquet_bomb_is_refused_from_its_footer_without_decoding_it() -> None:
    bomb = parquet_bomb(30_000_000)
    tracemalloc.start()

    report = validate_file(bomb, name="bills.parquet")

    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(bomb) < 1_000_000
    assert "declares 30,000,000 rows" in only_error(report)
    assert peak < 50_000_000  # 30 M decoded rows would take gigabytes


def test_parquet_bytes_named_csv_are_read_as_parquet() -> None:
    data = parquet_bytes([focus_row()])

    report = validate_file(data, name="bills.csv")

    assert report.content_kind == "parquet"
    assert report.ok, report.summary()


@pytest.mark.parametrize(
    ("data", "described"),
    [
        (b"PAR1" + b"\x00" * 64, "truncated"),
        (b"PK\x03\x04" + b"\x00" * 64, "ZIP archive"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "executable"),
        (b"\x00\x01\x02binary", "binary data"),
        (b"", "empty"),
    ],
)
def test_content_that_is_not_csv_or_parquet_is_unsupported(data: bytes, described: str) -> None:
    report = validate_file(data, name="bills.csv")

    message = only_error(report)
    assert described in message
    assert report.errors[0].code == "UnsupportedContent"


def test_invalid_utf8_names_the_line_and_column() -> None:
    text = csv_bytes([focus_row() for _ in range(5)]) + b'1.50,1,"Acm\xe9",USD\n'

    report = validate_file(text)

    assert only_error(report).startswith("line 7, column 12: invalid UTF-8 (byte 0xe9)")


def test_invalid_utf8_inside_gzip_is_found_too() -> None:
    text = csv_bytes([focus_row()]) + b"\xff\xfe\n"

    report = validate_file(gzip_bytes(text))

    assert "line 3, column 1: invalid UTF-8" in only_error(report)


def test_utf16_is_refused_with_a_hint() -> None:
    data = csv_bytes([focus_row()]).decode().encode("utf-16")

    report = validate_file(data)

    assert "UTF-16" in only_error(report)


def test_a_utf8_bom_and_crlf_line_ends_are_fine() -> None:
    data = csv_bytes([focus_row()], bom=True, line_end="\r\n")

    report = validate_file(data)

    assert report.ok, report.summary()


def test_a_missing_mandatory_column_is_refused_naming_it() -> None:
    columns = [c for c in focus_row() if c != "BillingCurrency"]

    report = validate_file(csv_bytes([focus_row()], columns=columns))

    assert "missing mandatory FOCUS columns: BillingCurrency" in only_error(report)


def test_a_header_that_is_not_focus_is_unsupported() -> None:
    report = validate_file(b"name,price\nwidget,3\n")

    assert "no FOCUS column" in only_error(report)


def test_a_semicolon_separated_export_is_refused_with_the_reason() -> None:
    data = csv_bytes([focus_row()]).replace(b",", b";")

    report = validate_file(data)

    assert "separated by semicolons: export it comma-separated" in only_error(report)


def test_the_row_cap_stops_streaming_at_the_first_batch_past_it() -> None:
    rows = [focus_row() for _ in range(11)]
    limits = IngestLimits(max_rows=10, batch_rows=2)

    csv_report = validate_file(csv_bytes(rows), limits=limits)
    parquet_report = validate_file(parquet_bytes(rows), limits=limits)

    assert "more than 10 rows" in only_error(csv_report)
    assert "declares 11 rows" in only_error(parquet_report)


def test_formula_payloads_are_text_and_change_nothing() -> None:
    payloads = ['=HYPERLINK("http://x")', "+SUM(A1)", "-2+3", "@cmd", "\t=1", "|calc"]
    rows = [focus_row(ChargeDescription=p, SubAccountId=p, ServiceName=p) for p in payloads]

    report = validate_file(csv_bytes(rows))

    assert report.ok, report.summary()
    assert report.rows_read == len(payloads)


def test_a_row_with_the_wrong_number_of_cells_is_an_error_showing_its_line() -> None:
    data = csv_bytes([focus_row(), focus_row()]) + b"1.50,only,three\n"

    report = validate_file(data)

    (finding,) = [f for f in report.errors if f.code == "malformed_line"]
    assert finding.message == "line 4: expected 27 cells, found 3: '1.50,only,three'"


def test_a_gzip_bomb_is_refused_by_its_expanded_size() -> None:
    data = gzip_bytes(csv_bytes([focus_row()]) + b"\n" * 5_000_000)

    report = validate_file(data, limits=IngestLimits(max_text_bytes=1_000_000))

    assert "expands beyond 1,000,000 bytes" in only_error(report)
