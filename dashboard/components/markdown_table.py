"""A short, fixed table as one markdown element: every cell escaped text unless we made it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from dashboard.components import formats

BadgeColor = Literal["red", "orange", "yellow", "green", "blue", "violet", "gray"]


@dataclass(frozen=True, slots=True)
class Column:
    """A header and its alignment: numbers right, words left."""

    header: str
    align: Literal["left", "right"] = "left"


def text(value: object) -> str:
    """Stored or computed text as a cell: escaped (never markup, never a link) and on one line
    (a line break would end the table's row)."""
    return formats.escape_markdown(" ".join(str(value).split()))


def badge(label: str, color: BadgeColor) -> str:
    """A coloured badge around our own label: its words carry the meaning, the colour repeats
    it."""
    return f":{color}-badge[{text(label)}]"


def table(columns: Sequence[Column], rows: Iterable[Sequence[str]]) -> str:
    """GFM table markdown from cells already made with `text` or `badge`.

    For tables of a few rows that need no sorting or scrolling: st.dataframe's grid is a lazily
    loaded ~1.5 MB of JavaScript (the grid and Arrow) that a first visit fetches, parses and
    compiles before the table is drawn (issue 19; decision 031, session 10)."""
    header = "| " + " | ".join(text(c.header) for c in columns) + " |"
    rule = "| " + " | ".join("---:" if c.align == "right" else "---" for c in columns) + " |"
    body = ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join([header, rule, *body])
