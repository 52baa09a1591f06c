"""CSV export: formula triggers neutralised in text cells, numbers kept, every field survives."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.components.export import FORMULA_TRIGGERS, escape_text, to_csv_bytes

# defusedcsv's test payloads plus the tab / CR variants it misses.
KNOWN_PAYLOADS = (
    "=1+1",
    '=HYPERLINK("http://evil.example","click")',
    "+1+1",
    "-1+1",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "|calc",
    "=cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@cmd|' /C calc'!A0",
)
TEXT = st.text(
    alphabet=st.sampled_from(list("abc xyz,;\"'\r\n\t=+-@|é😀")), min_size=0, max_size=20
)


def _read_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("payload", KNOWN_PAYLOADS)
def test_known_formula_payloads_are_prefixed_with_an_apostrophe(payload: str) -> None:
    exported = to_csv_bytes(pd.DataFrame({"service": [payload]}))

    assert _read_rows(exported)[1] == [f"'{payload}"]


@given(st.sampled_from(FORMULA_TRIGGERS), TEXT)
def test_any_text_starting_with_a_trigger_is_neutralised(trigger: str, rest: str) -> None:
    cell = _read_rows(to_csv_bytes(pd.DataFrame({"name": [trigger + rest]})))[1][0]

    assert cell.startswith("'")
    assert cell[1:] == trigger + rest


def test_leading_nul_is_a_trigger_too() -> None:
    assert escape_text("\0=1+1") == "'\0=1+1"


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=5))
def test_numbers_stay_numbers_and_round_trip_exactly(values: list[float]) -> None:
    exported = to_csv_bytes(pd.DataFrame({"monthly_cost": values}))

    back = pd.read_csv(io.BytesIO(exported), encoding="utf-8-sig")

    assert back["monthly_cost"].tolist() == values


def test_a_credit_stays_a_negative_number() -> None:
    exported = to_csv_bytes(pd.DataFrame({"name": ["refund"], "cost": [-12.5]}))

    assert _read_rows(exported)[1] == ["refund", "-12.5"]


@given(st.lists(TEXT, min_size=1, max_size=6))
def test_text_with_quotes_commas_and_line_breaks_round_trips(values: list[str]) -> None:
    frame = pd.DataFrame({"name": values, "replicas": range(len(values))})

    rows = _read_rows(to_csv_bytes(frame))

    assert rows[0] == ["name", "replicas"]
    assert [row[0] for row in rows[1:]] == [escape_text(v) for v in values]
    assert [int(row[1]) for row in rows[1:]] == list(range(len(values)))


def test_every_field_is_quoted() -> None:
    exported = to_csv_bytes(pd.DataFrame({"name": ["a\rb"], "cost": [1.5]})).decode("utf-8-sig")

    assert exported == '"name","cost"\r\n"a\rb","1.5"\r\n'


def test_formula_headers_are_escaped_too() -> None:
    exported = to_csv_bytes(pd.DataFrame({"=evil()": [1]}))

    assert _read_rows(exported)[0] == ["'=evil()"]
