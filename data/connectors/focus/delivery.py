"""A delivery's files → its identity and one validated parse of them all (nothing written)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import pyarrow as pa

from data.connectors.focus.allocation import AllocationRules
from data.connectors.focus.findings import Finding
from data.connectors.focus.layouts import PartFile, PlannedDelivery
from data.connectors.focus.limits import IngestLimits
from data.connectors.focus.parse import ParsedFile, parse_file
from data.connectors.focus.report import DeliveredPart, ValidationReport
from data.connectors.focus.source import RawFile, file_sha256, inspect, read_raw
from data.connectors.focus.totals import concatenated, currency_totals, partitions, summed
from data.errors import FocusIngestError
from data.repos.costs import AllocatedCostColumns


@dataclass(frozen=True, slots=True)
class StagedDelivery:
    """A delivery read whole: the merged parse (its report names the delivery and carries its
    identity as `content_sha256`) and its parts as they will be recorded."""

    planned: PlannedDelivery
    parsed: ParsedFile
    parts: tuple[DeliveredPart, ...]


def delivery_identity(part_hashes: Sequence[str]) -> str:
    """A one-file delivery is its file's hash (as before deliveries had parts); several files
    are the hash of their sorted hashes, so the same parts in any order are the same delivery."""
    if len(part_hashes) == 1:
        return part_hashes[0]
    joined = "\n".join(["focus-delivery", *sorted(part_hashes)])
    return hashlib.sha256(joined.encode()).hexdigest()


def part_hashes(planned: PlannedDelivery) -> tuple[str, ...]:
    """Each part's SHA-256, streamed from disk one file at a time (nothing stays mapped)."""
    return tuple(file_sha256(part.content) for part in planned.parts)


def stage(
    planned: PlannedDelivery,
    *,
    rules: AllocationRules,
    limits: IngestLimits,
    hashes: Sequence[str],
) -> StagedDelivery:
    """Parse every part in turn and merge; a part refused as a whole is an error of the report.

    Memory is one part's, not the delivery's: a file is mapped only while it is read, and each
    part's daily rows are folded into the running sums before the next part is read.
    """
    parsed: list[ParsedFile] = []
    recorded: list[DeliveredPart] = []
    running = AllocatedCostColumns.of(())
    for part, sha256 in zip(planned.parts, hashes, strict=True):
        raw = read_raw(part.content, name=part.name, sha256=sha256)
        try:
            one = parse_raw(raw, rules, limits)
        except FocusIngestError as error:
            one = ParsedFile(failed_report(raw, error), AllocatedCostColumns.of(()))
        one = with_row_check(part, one)
        del raw  # unmaps the file before the next one is read
        running = summed(concatenated([running, one.cost_columns])) if parsed else one.cost_columns
        # Arrow's allocator keeps what a parse freed; hand it back before the next part
        # (a 5-part delivery of 5 M rows then peaks at one part's memory, not more).
        pa.default_memory_pool().release_unused()
        parsed.append(replace(one, cost_columns=AllocatedCostColumns.of(())))
        recorded.append(DeliveredPart(part.name, sha256, one.report.rows_read, part.size_bytes))
    identity = delivery_identity(hashes)
    return StagedDelivery(planned, merged(planned, identity, parsed, running), tuple(recorded))


def parse_raw(
    raw: RawFile,
    rules: AllocationRules,
    limits: IngestLimits,
    *,
    cancelled: Callable[[], bool] | None = None,
) -> ParsedFile:
    """One file parsed; raises FocusIngestError for a file-level fault (encoding, caps,
    columns) and ParseCancelled when `cancelled` says so between batches."""
    source = inspect(raw, limits=limits)
    if cancelled is None:
        return parse_file(source, rules=rules, limits=limits)
    return parse_file(source, rules=rules, limits=limits, cancelled=cancelled)


def with_row_check(part: PartFile, parsed: ParsedFile) -> ParsedFile:
    """A part holding another number of rows than its manifest states is truncated or still
    being written: an error, so the delivery is not loaded short."""
    expected, rows = part.expected_rows, parsed.report.rows_read
    if expected is None or rows == expected:
        return parsed
    message = (
        f"{part.base_name} holds {rows:,} rows where its manifest says {expected:,} "
        "(a truncated or still-syncing file): deliver it whole"
    )
    errors = (*parsed.report.errors, Finding("error", "part_rows", message))
    return replace(parsed, report=replace(parsed.report, errors=errors))


def failed_report(raw: RawFile, error: FocusIngestError) -> ValidationReport:
    """A report for a file refused as a whole (encoding, content type, caps, columns)."""
    report = getattr(error, "report", None)
    if isinstance(report, ValidationReport):
        return report
    finding = Finding("error", type(error).__name__, str(error))
    return ValidationReport(raw.name, raw.sha256, None, None, 0, (), (), (), (finding,))


def merged(
    planned: PlannedDelivery,
    identity: str,
    parts: Sequence[ParsedFile],
    columns: AllocatedCostColumns | None = None,
) -> ParsedFile:
    """The parts as one: their daily rows (`columns`, already summed, or side by side), totals
    and scopes over all of them, each part's findings prefixed with its name (row numbers count
    within that part)."""
    if columns is None:
        columns = concatenated([part.cost_columns for part in parts])
    if len(parts) == 1:
        report = replace(parts[0].report, file_name=planned.name, content_sha256=identity)
        return replace(parts[0], report=report, cost_columns=columns)
    reports = [part.report for part in parts]
    report = ValidationReport(
        file_name=planned.name,
        content_sha256=identity,
        content_kind=_one_or_all(report.content_kind for report in reports),
        focus_version=_one_or_all(report.focus_version for report in reports),
        rows_read=sum(report.rows_read for report in reports),
        totals=currency_totals(columns),
        partitions=partitions(columns),
        warnings=_prefixed(planned.parts, reports, "warnings"),
        errors=_prefixed(planned.parts, reports, "errors"),
    )
    return ParsedFile(report, columns, tuple(day for part in parts for day in part.commitments))


def with_planning_errors(planned: PlannedDelivery, report: ValidationReport) -> ValidationReport:
    """Missing parts and a refusal, as the report's first errors (the delivery cannot load)."""
    errors = [
        Finding(
            "error", "missing_part",
            f"{name} is part of this delivery but was not delivered: the delivery is held, "
            "not loaded, until it arrives",
        )
        for name in planned.missing
    ]  # fmt: skip
    if planned.refusal is not None:
        errors.append(Finding("error", "not_one_delivery", planned.refusal))
    return replace(report, errors=(*errors, *report.errors))


def empty_report(planned: PlannedDelivery) -> ValidationReport:
    return ValidationReport(planned.name, delivery_identity(()), None, None, 0, (), (), (), ())


def _one_or_all(values: Iterable[str | None]) -> str | None:
    distinct = sorted({value for value in values if value is not None})
    return ", ".join(distinct) or None


def _prefixed(
    parts: Sequence[PartFile], reports: Sequence[ValidationReport], kind: str
) -> tuple[Finding, ...]:
    return tuple(
        replace(finding, message=f"{part.base_name}: {finding.message}")
        for part, report in zip(parts, reports, strict=True)
        for finding in getattr(report, kind)
    )
