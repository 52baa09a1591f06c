"""A whole file → validated daily cost records and a report, without touching the database."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data.connectors.focus.aggregate import ROWS, DailyAggregator
from data.connectors.focus.allocation import METHOD_NAMES, AllocationRules
from data.connectors.focus.columns import DESCRIPTIVE_MANDATORY, MONEY_COLUMNS, ColumnMap
from data.connectors.focus.commitments import CommitmentAggregator, CommitmentDay, decoded_days
from data.connectors.focus.errors import MalformedFile, MissingColumns
from data.connectors.focus.findings import Findings
from data.connectors.focus.limits import IngestLimits
from data.connectors.focus.normalise import Normaliser
from data.connectors.focus.reader import OpenedFile, open_batches, split_csv
from data.connectors.focus.report import CurrencyTotal, Partition, ValidationReport
from data.connectors.focus.source import SourceFile
from data.repos.costs import AllocatedCost, AllocatedCostColumns

MONEY = ("BilledCost", "EffectiveCost", "ListCost")


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """Daily cost records as columns (service still a reference: a slug or allocation value),
    the daily utilization of each commitment discount, and the report."""

    report: ValidationReport
    cost_columns: AllocatedCostColumns
    commitments: tuple[CommitmentDay, ...] = ()

    @property
    def costs(self) -> tuple[AllocatedCost, ...]:
        """The daily cost records as objects, built on each call (the load uses the columns)."""
        return self.cost_columns.rows()


class ParseCancelled(Exception):
    """The caller's `cancelled` answered True between two batches: the parse stopped."""


def _never() -> bool:
    return False


def parse_file(
    source: SourceFile,
    *,
    rules: AllocationRules,
    limits: IngestLimits,
    cancelled: Callable[[], bool] = _never,
) -> ParsedFile:
    """Stream, validate, allocate and aggregate; raises FocusIngestError for file-level faults.

    CSV is first read assuming no newline inside a quoted value (the fast parser); any bad line
    means the file may hold one, and it is read again allowing them, so only lines that are
    bad either way are reported. A big plain CSV is read by parallel readers (`split_csv`).
    `cancelled` is asked after every batch (ParseCancelled).
    """
    if source.kind == "parquet":
        return _parse(source, rules, limits, cancelled, multiline=True, split=False)
    split = split_csv(source, limits)
    # (multiline, split) per attempt. Parts are cut by quote parity, exact for RFC 4180
    # quoting; a stray quote inside an unquoted value can mislead it, so bad lines after a
    # split read are confirmed by one reader before they are reported.
    attempts = [(False, split), (True, split)] + ([(True, False)] if split else [])
    for multiline, split_this in attempts[:-1]:
        try:
            parsed = _parse(source, rules, limits, cancelled, multiline=multiline, split=split_this)
        except MalformedFile:
            continue
        if not any(finding.code == "malformed_line" for finding in parsed.report.errors):
            return parsed
    multiline, split_this = attempts[-1]
    return _parse(source, rules, limits, cancelled, multiline=multiline, split=split_this)


def _parse(
    source: SourceFile,
    rules: AllocationRules,
    limits: IngestLimits,
    cancelled: Callable[[], bool],
    *,
    multiline: bool,
    split: bool,
) -> ParsedFile:
    opened = open_batches(source, limits=limits, multiline=multiline, split=split)
    findings = Findings(limits.max_findings)
    _check_columns(opened.columns, findings)
    normaliser = Normaliser(rules, findings)
    aggregator, commitments = DailyAggregator(), CommitmentAggregator()
    rows = _stream(opened, normaliser, aggregator, commitments, cancelled)
    _file_findings(opened, normaliser, findings)
    costs = _decode(aggregator.result(), normaliser)
    days = decoded_days(
        commitments.result(),
        texts=normaliser.texts.values,
        currencies=normaliser.currencies.values,
        named=normaliser.commitment_names,
    )
    report = ValidationReport(
        file_name=source.name,
        content_sha256=source.sha256,
        content_kind=source.kind,
        focus_version=opened.columns.focus_version,
        rows_read=rows,
        totals=currency_totals(costs),
        partitions=_partitions(costs),
        warnings=findings.of("warning"),
        errors=findings.of("error"),
    )
    return ParsedFile(report, costs, days)


def _stream(
    opened: OpenedFile,
    normaliser: Normaliser,
    aggregator: DailyAggregator,
    commitments: CommitmentAggregator,
    cancelled: Callable[[], bool],
) -> int:
    rows = 0
    try:
        for batch in opened.batches:
            coded = normaliser.normalise(batch, rows)
            aggregator.add(coded)
            if coded.commitments is not None:
                commitments.add(coded.commitments)
            rows += batch.num_rows
            if cancelled():
                raise ParseCancelled
    except (pa.ArrowInvalid, OSError) as error:
        raise MalformedFile(f"the file could not be read after row {rows:,}: {error}") from None
    finally:
        opened.close()  # stops the read-ahead thread when the stream ends early
    return rows


def _check_columns(columns: ColumnMap, findings: Findings) -> None:
    missing = columns.missing(MONEY_COLUMNS)
    if missing:
        raise MissingColumns(
            f"missing mandatory FOCUS columns: {', '.join(missing)} (FOCUS 1.0–1.3 names and "
            "their older spellings are accepted; check the export includes them)"
        )
    for name in columns.missing(DESCRIPTIVE_MANDATORY):
        findings.add(
            "warning", "missing_column", f"mandatory FOCUS column {name} is absent", column=name
        )
    if columns.unknown:
        message = f"columns that are not FOCUS were ignored: {', '.join(columns.unknown[:20])}"
        findings.add("warning", "unknown_columns", message, count=len(columns.unknown))


def _file_findings(opened: OpenedFile, normaliser: Normaliser, findings: Findings) -> None:
    for bad in opened.bad_lines[: findings.max_examples]:
        where = f"line {bad.line:,}: " if bad.line is not None else ""
        findings.add("error", "malformed_line", f"{where}{bad.message}")
    parsers = [normaliser.charge_category, normaliser.service_category]
    for parser in parsers + [parser for parser, _ in normaliser.descriptive]:
        if parser.recased:
            shown = ", ".join(f"{k!r} → {v!r}" for k, v in list(parser.recased.items())[:5])
            message = f"{parser.column} values read case-insensitively: {shown}"
            findings.add("warning", f"{parser.column}:recased", message, column=parser.column)
    if normaliser.allocator.unreadable_tags:
        count = normaliser.allocator.unreadable_tags
        message = "Tags is not a JSON object (those rows are unallocated)"
        findings.add("warning", "Tags:unreadable", message, column="Tags", count=count)


def _decode(table: pa.Table, normaliser: Normaliser) -> AllocatedCostColumns:
    """Codes back to values, column by column; money stays Arrow decimals."""
    days = pa.array(table.column("charge_day").to_numpy().astype(np.int32), pa.date32())
    columns: dict[str, Any] = {"charge_date": days.to_pylist()}
    columns |= {name: _values(table, name, values) for name, values in _lookups(normaliser).items()}
    columns |= {_FIELD[name]: table.column(name).combine_chunks() for name in MONEY}
    columns["source_rows"] = table.column(ROWS).to_pylist()
    return AllocatedCostColumns(**columns)


_FIELD = {"BilledCost": "billed_cost", "EffectiveCost": "effective_cost", "ListCost": "list_cost"}


def _lookups(normaliser: Normaliser) -> dict[str, Sequence[Any]]:
    periods = [datetime.fromtimestamp(s, UTC) for s in normaliser.periods.values]
    return {
        "billing_currency": normaliser.currencies.values,
        "service_category": normaliser.categories.values,
        "charge_category": normaliser.charge_categories.values,
        "provider": normaliser.texts.values,
        "billing_account_id": normaliser.texts.values,
        "billing_period_start": periods,
        "billing_period_end": periods,
        "sub_account_id": normaliser.texts.values,
        "service_ref": normaliser.allocator.services.values,
        "team": normaliser.allocator.teams.values,
        "allocated_by": METHOD_NAMES,
    }


_CODE_COLUMN = {
    "billing_account_id": "billing_account",
    "billing_period_start": "billing_period",
    "sub_account_id": "sub_account",
    "service_ref": "service",
    "allocated_by": "method",
}


def _values(table: pa.Table, name: str, values: Sequence[Any]) -> list[Any]:
    codes = table.column(_CODE_COLUMN.get(name, name)).to_numpy()
    lookup = np.array([*values, None], dtype=object)
    return lookup[np.where(codes >= 0, codes, len(values))].tolist()  # type: ignore[no-any-return]


def currency_totals(costs: AllocatedCostColumns) -> tuple[CurrencyTotal, ...]:
    """Exact sums per BillingCurrency (never across currencies), summed by Arrow in decimal128.

    Each sum is Decimal(0) plus the column's, as a running Decimal sum writes it: the
    unallocated sum of a currency with no unallocated row is Decimal(0) itself.
    """
    if not len(costs):
        return ()
    unallocated = pa.array([ref is None for ref in costs.service_ref])
    zero = pa.scalar(0, costs.effective_cost.type)
    table = pa.table(
        {
            "currency": costs.billing_currency,
            "billed": costs.billed_cost,
            "effective": costs.effective_cost,
            "list": costs.list_cost,
            "unallocated": pc.if_else(unallocated, costs.effective_cost, zero),
            "unallocated_rows": pc.cast(unallocated, pa.int64()),
            "rows": costs.source_rows,
        }
    )
    names = ("billed", "effective", "list", "unallocated", "unallocated_rows", "rows")
    sums = table.group_by("currency").aggregate([(name, "sum") for name in names]).to_pylist()
    return tuple(_currency_total(row) for row in sorted(sums, key=lambda row: row["currency"]))


def _currency_total(sums: dict[str, Any]) -> CurrencyTotal:
    unallocated = sums["unallocated_sum"] if sums["unallocated_rows_sum"] else 0
    return CurrencyTotal(
        sums["currency"],
        Decimal(0) + sums["billed_sum"],
        Decimal(0) + sums["effective_sum"],
        Decimal(0) + sums["list_sum"],
        Decimal(0) + unallocated,
        rows=sums["rows_sum"],
    )


def _partitions(costs: AllocatedCostColumns) -> tuple[Partition, ...]:
    ends: dict[tuple[str, datetime], datetime] = {}
    rows: dict[tuple[str, datetime], int] = defaultdict(int)
    for account, start, end, count in zip(
        costs.billing_account_id,
        costs.billing_period_start,
        costs.billing_period_end,
        costs.source_rows,
        strict=True,
    ):
        key = (account, start)
        ends[key] = max(ends.get(key, end), end)
        rows[key] += count
    return tuple(
        Partition(account, start, ends[(account, start)], rows[(account, start)])
        for account, start in sorted(ends)
    )
