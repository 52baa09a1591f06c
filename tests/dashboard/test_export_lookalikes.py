"""Look-alike formula prefixes in CSV exports: why each is escaped, one test per character.

A stored text (a service name, a tag, a FOCUS description) reaches exports verbatim, so any
prefix a spreadsheet honours must be escaped. The list, and the reason for each:

- `=` `+` `-` `@`: start a formula in Excel, LibreOffice Calc and Google Sheets (OWASP CSV
  injection; threats.md item 16).
- tab, CR, LF: spreadsheets trim a leading tab or line break on import and then see what
  follows (`\t=1+1`); defusedcsv misses them (threats.md item 16).
- NUL: the C string end in some importers, after which the rest is parsed alone.
- `|`: Excel's DDE syntax (`=cmd|' /C calc'!A0`, and `|` alone in older Lotus-style import).
- Full-width `＝` U+FF1D, `＋` U+FF0B, `－` U+FF0D, `＠` U+FF20, `｜` U+FF5C: what a Japanese,
  Chinese or Korean input method types for the ASCII keys; Excel and Calc fold them to ASCII
  when they recognise a formula (a cell `＝1+1` typed in Excel with an IME is the formula 2).
- Small forms `﹦` U+FE66, `﹢` U+FE62, `﹣` U+FE63, `﹫` U+FE6B, and superscript/subscript
  `⁺ ⁼ ₊ ₌ ⁻ ₋`: the same NFKC compatibility folding maps them to `= + @` and the minus sign;
  we escape by that folding rather than by a hand list, so no variant is missed.
- The minus sign `−` U+2212 (what NFKC makes of `⁻` and `₋`): LibreOffice accepts it as the
  minus operator in formula input.
- Any of the above after leading blanks — spaces of any width (U+0020, U+00A0, U+3000) and
  zero-width or other format characters (U+200B, U+FEFF): Calc's "trim spaces" import option
  and Sheets' import trimming strip them first.
An unneeded apostrophe costs a visible `'` in a rare label; a missed one runs a formula on the
reader's machine, so the rule errs towards escaping. Numbers stay numbers (a credit is -12.5).
"""

from __future__ import annotations

import csv
import io
import unicodedata

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.components.export import escape_text, starts_formula, to_csv_bytes

LOOKALIKES = {
    "\uff1d": "FULLWIDTH EQUALS SIGN",
    "\uff0b": "FULLWIDTH PLUS SIGN",
    "\uff0d": "FULLWIDTH HYPHEN-MINUS",
    "\uff20": "FULLWIDTH COMMERCIAL AT",
    "\uff5c": "FULLWIDTH VERTICAL LINE",
    "\ufe66": "SMALL EQUALS SIGN",
    "\ufe62": "SMALL PLUS SIGN",
    "\ufe63": "SMALL HYPHEN-MINUS",
    "\ufe6b": "SMALL COMMERCIAL AT",
    "\u207a": "SUPERSCRIPT PLUS SIGN",
    "\u207b": "SUPERSCRIPT MINUS",
    "\u207c": "SUPERSCRIPT EQUALS SIGN",
    "\u208a": "SUBSCRIPT PLUS SIGN",
    "\u208b": "SUBSCRIPT MINUS",
    "\u208c": "SUBSCRIPT EQUALS SIGN",
    "\u2212": "MINUS SIGN",
}
ASCII = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "|")
BLANKS = (" ", "\u00a0", "\u3000", "\u2003", "\u200b", "\ufeff", "  \u3000")


def exported_cell(text: str) -> str:
    data = to_csv_bytes(pd.DataFrame({"service": [text]}))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return rows[1][0]


@pytest.mark.parametrize("char", list(LOOKALIKES), ids=list(LOOKALIKES.values()))
def test_each_look_alike_prefix_is_escaped_in_the_export(char: str) -> None:
    assert unicodedata.name(char) == LOOKALIKES[char]

    assert exported_cell(f"{char}1+1") == f"'{char}1+1"


@pytest.mark.parametrize("char", ASCII, ids=[repr(c) for c in ASCII])
def test_each_ascii_trigger_is_escaped(char: str) -> None:
    assert escape_text(f"{char}HYPERLINK(1)") == f"'{char}HYPERLINK(1)"


@pytest.mark.parametrize("blank", BLANKS, ids=[repr(b) for b in BLANKS])
@pytest.mark.parametrize("trigger", ["=", "\uff1d", "@", "\uff0b"])
def test_a_trigger_after_leading_blanks_is_escaped(blank: str, trigger: str) -> None:
    assert exported_cell(f"{blank}{trigger}1+1") == f"'{blank}{trigger}1+1"


@pytest.mark.parametrize(
    "text", ["checkout", "Tokyo \uff1d east", "\uff21\uff22\uff23", "1.5", "a-b", "\u3000name", ""]
)
def test_text_that_starts_no_formula_is_exported_as_is(text: str) -> None:
    assert escape_text(text) == text


@given(st.text(max_size=12))
def test_escaping_is_decided_by_the_folded_first_visible_character(text: str) -> None:
    blanks = "".join(c for c in text if c.isspace() or unicodedata.category(c) == "Cf")
    visible = text.lstrip(blanks)
    folded = unicodedata.normalize("NFKC", visible[:1])[:1]
    triggered = text.startswith(ASCII) or folded in {*ASCII, "\u2212"}

    assert starts_formula(text) == triggered
    assert escape_text(text) == (f"'{text}" if triggered else text)


def test_numbers_are_never_escaped() -> None:
    data = to_csv_bytes(pd.DataFrame({"name": ["refund"], "cost": [-12.5]}))

    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1] == ["refund", "-12.5"]
