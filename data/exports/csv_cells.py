"""CSV that is safe to open in a spreadsheet: formula-like text cells escaped, every field quoted.

A text cell that a spreadsheet could take for a formula gets a leading apostrophe, so Excel /
LibreOffice / Sheets show it as text; numbers are left alone (a credit of -12.5 stays the
number -12.5). A cell is escaped when it starts with a trigger (`= + - @`, tab, CR, LF, NUL,
`|`), or when its first character after leading blanks (spaces of any width, zero-width and
other format characters) folds under Unicode compatibility (NFKC) to a trigger — the
full-width `＝ ＋ － ＠ ｜` an East Asian input method types, and the small, superscript and
subscript forms — or is the minus sign U+2212. Every field is quoted, so CR and LF inside a
cell survive a round trip (pandas leaves a bare CR unquoted otherwise). The reasons for each
character are in tests/dashboard/test_export_lookalikes.py.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from typing import Any

import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "|")
MINUS_SIGN = "\u2212"  # LibreOffice reads it as minus in formula input; NFKC keeps it apart
_FOLDED = frozenset(FORMULA_TRIGGERS) | {MINUS_SIGN}


def escape_text(value: str) -> str:
    """Neutralise one text cell: `=SUM(A1)` → `'=SUM(A1)`, `＝1+1` → `'＝1+1`; others unchanged."""
    return f"'{value}" if starts_formula(value) else value


def starts_formula(value: str) -> bool:
    """Whether a spreadsheet could read the cell as a formula (see the module docstring)."""
    if value.startswith(FORMULA_TRIGGERS):
        return True
    head = _without_leading_blanks(value)
    return bool(head) and unicodedata.normalize("NFKC", head[0])[:1] in _FOLDED


def _without_leading_blanks(value: str) -> str:
    for index, char in enumerate(value):
        if not (char.isspace() or unicodedata.category(char) == "Cf"):
            return value[index:]
    return ""


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
