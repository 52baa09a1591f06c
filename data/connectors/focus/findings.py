"""Errors and warnings found in a file, with example rows and the offending values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]
_VALUE_CHARS = 80


@dataclass(frozen=True, slots=True)
class Finding:
    """One kind of problem: how many rows, a few example rows (1-based) and their values."""

    severity: Severity
    code: str
    message: str
    column: str | None = None
    count: int = 1
    rows: tuple[int, ...] = ()
    values: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "column": self.column,
            "count": self.count,
            "rows": list(self.rows),
            "values": list(self.values),
        }

    def describe(self) -> str:
        where = f" (column {self.column})" if self.column else ""
        rows = f"; rows {', '.join(f'{r:,}' for r in self.rows)}" if self.rows else ""
        more = f" and {self.count - len(self.rows):,} more" if self.count > len(self.rows) else ""
        return f"{self.message}{where}{rows}{more if rows else ''}"


@dataclass(slots=True)
class Findings:
    """Accumulates findings across batches, merging by (severity, code, column)."""

    max_examples: int = 20
    _by_key: dict[tuple[str, str, str | None], Finding] = field(default_factory=dict)

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        *,
        column: str | None = None,
        count: int = 1,
        rows: Sequence[int] = (),
        values: Sequence[object] = (),
    ) -> None:
        if count <= 0:
            return
        key = (severity, code, column)
        seen = self._by_key.get(key)
        room = self.max_examples - (len(seen.rows) if seen else 0)
        new_rows = tuple(int(r) for r in rows[:room])
        new_values = tuple(_shown(v) for v in values[:room])
        if seen is None:
            self._by_key[key] = Finding(
                severity, code, message, column, count, new_rows, new_values
            )
            return
        self._by_key[key] = Finding(
            severity,
            code,
            seen.message,
            column,
            seen.count + count,
            seen.rows + new_rows,
            seen.values + new_values,
        )

    def of(self, severity: Severity) -> tuple[Finding, ...]:
        return tuple(f for f in self._by_key.values() if f.severity == severity)


def _shown(value: object) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 1] + "…"
