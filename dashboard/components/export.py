"""CSV export that is safe to open in a spreadsheet.

Text cells starting with a formula trigger (= + - @ tab CR NUL |) get a leading apostrophe so
Excel / LibreOffice / Sheets show them as text instead of evaluating them; numbers are left
alone (a credit of -12.5 stays the number -12.5). Every field is quoted, so CR and LF inside
a cell survive a round trip (pandas leaves a bare CR unquoted otherwise).
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0", "|")


def escape_text(value: str) -> str:
    """Neutralise one text cell: `=SUM(A1)` → `'=SUM(A1)`; other text unchanged."""
    return f"'{value}" if value.startswith(FORMULA_TRIGGERS) else value


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 (with BOM, so Excel detects it) CSV of `frame` without its index."""
    safe = frame.copy()
    safe.columns = [escape_text(str(column)) for column in safe.columns]
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(_escape_cell)
    buffer = io.StringIO()
    safe.to_csv(buffer, index=False, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8-sig")


def _escape_cell(value: Any) -> Any:
    return escape_text(value) if isinstance(value, str) else value
