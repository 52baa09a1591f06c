"""What validation and ingest found: rows, per-currency totals, partitions, warnings and errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from data.connectors.focus.findings import Finding


@dataclass(frozen=True, slots=True)
class CurrencyTotal:
    """Sums of one billing currency; amounts in different currencies are never added."""

    billing_currency: str
    billed_cost: Decimal
    effective_cost: Decimal
    list_cost: Decimal
    unallocated_effective_cost: Decimal
    rows: int

    def as_json(self) -> dict[str, Any]:
        return {
            "billed_cost": str(self.billed_cost),
            "effective_cost": str(self.effective_cost),
            "list_cost": str(self.list_cost),
            "unallocated_effective_cost": str(self.unallocated_effective_cost),
            "rows": self.rows,
        }


@dataclass(frozen=True, slots=True)
class Partition:
    """A (billing account, billing period) the file delivers: the unit a restatement replaces."""

    billing_account_id: str
    billing_period_start: datetime
    billing_period_end: datetime
    rows: int


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """The outcome of reading a file without writing anything."""

    file_name: str
    content_sha256: str
    content_kind: str | None
    focus_version: str | None
    rows_read: int
    totals: tuple[CurrencyTotal, ...]
    partitions: tuple[Partition, ...]
    warnings: tuple[Finding, ...]
    errors: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.errors

    def totals_json(self) -> dict[str, Any]:
        return {total.billing_currency: total.as_json() for total in self.totals}

    def summary(self) -> str:
        """One paragraph an analyst can act on: the errors first, then counts."""
        lines = [f"{self.file_name}: {self.rows_read:,} rows"]
        lines += [f"error: {finding.describe()}" for finding in self.errors]
        lines += [f"warning: {finding.describe()}" for finding in self.warnings]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What `ingest_file` did: loaded the file, or found it already ingested (a no-op)."""

    status: Literal["loaded", "already_ingested"]
    ingested_file_id: int
    file_name: str
    content_sha256: str
    rows_read: int
    cost_rows: int
    totals: dict[str, Any]
    replaced_file_ids: tuple[int, ...]
    warnings: tuple[Finding, ...]
    commitment_rows: int = 0  # commitment_daily rows written (one per commitment and day)
