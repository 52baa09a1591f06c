"""What validation and ingest found: rows, per-currency totals, partitions, warnings and errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
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
    """A scope the file delivers — (provider, billing account, billing period) — the unit a
    newer delivery replaces whole (decision 011). `provider` names the ProviderName values of
    its rows (an empty one, stored as "Unknown", does not count); `charged_through` is its
    last charge day, which orders deliveries without an export time."""

    billing_account_id: str
    billing_period_start: datetime
    billing_period_end: datetime
    rows: int
    provider: str = "Unknown"
    charged_through: date | None = None


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
    """What an ingest did: loaded the delivery, found it already ingested (a no-op), or found
    every scope it carries already owned by a newer delivery ("outdated": nothing written)."""

    status: Literal["loaded", "already_ingested", "outdated"]
    ingested_file_id: int
    file_name: str
    content_sha256: str
    rows_read: int
    cost_rows: int
    totals: dict[str, Any]
    replaced_file_ids: tuple[int, ...]
    warnings: tuple[Finding, ...]
    commitment_rows: int = 0  # commitment_daily rows written (one per commitment and day)
    notes: tuple[str, ...] = ()  # scopes kept because a newer delivery owns them, and why
    part_count: int = 1


@dataclass(frozen=True, slots=True)
class DeliveredPart:
    """One file of a delivery as recorded: its name, content hash, rows and size."""

    name: str
    content_sha256: str
    rows_read: int
    size_bytes: int
