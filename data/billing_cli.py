"""`python -m data ingest PATH… [--dry-run]` and `python -m data billing-api pull --from --to`.

Exit codes: 0 loaded or nothing to do, 1 something refused or held (the report says what), 2 a
usage error (a path that does not exist, a bad month, no billing API configured).
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.billing_api import (
    BillingApiCircuitOpen,
    BillingApiClient,
    BillingApiError,
    CredentialsInvalid,
    PageSource,
    ingest_period,
)
from data.connectors.billing_api.contract import PERIOD_PATTERN
from data.connectors.focus import (
    AllocationRules,
    FocusIngestError,
    IngestReport,
    PartFile,
    PlannedDelivery,
    ValidationReport,
    directory_files,
    plan_files,
    validate_delivery,
)
from data.connectors.focus.directory import DirectoryEntry, ingest_planned, summary
from data.connectors.focus.references import service_references
from data.db import make_engine, make_sessions
from data.settings import Settings

log = logging.getLogger("tightrope.cli")
_OK = frozenset({"loaded", "already_ingested", "outdated"})
_WORDS = {"already_ingested": "unchanged", "outdated": "older"}
_MAX_MONTHS = 120


def ingest_command(settings: Settings, args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Plan deliveries from the paths, then validate (--dry-run) or ingest each in turn."""
    out = out or sys.stdout
    missing = [path for path in args.paths if not Path(path).exists()]
    if missing:
        log.error("no such file or directory: %s", ", ".join(missing))
        return 2
    planned = plan_files(files_at([Path(path) for path in args.paths]))
    if not planned:
        out.write("nothing to ingest: no files under the given paths\n")
        return 0
    if args.dry_run:
        return _dry_run(settings, planned, out)
    return _ingest(settings, planned, args.source, out)


def files_at(paths: Sequence[Path]) -> list[PartFile]:
    """The files named and those under the directories named, each under the name it was given."""
    found: list[PartFile] = []
    for path in paths:
        if path.is_dir():
            for part in directory_files(path):
                folder = (path / part.folder).as_posix()
                found.append(PartFile((path / part.name).as_posix(), part.content, folder))
        else:
            found.append(PartFile(path.as_posix(), path, path.parent.as_posix()))
    return found


def _dry_run(settings: Settings, planned: Sequence[PlannedDelivery], out: TextIO) -> int:
    known = _known_services(settings)
    reports = [
        validate_delivery(delivery, rules=AllocationRules(), known_services=known)
        for delivery in planned
    ]
    for delivery, report in zip(planned, reports, strict=True):
        out.write("\n".join(report_lines(report, notes=delivery.notes)) + "\n\n")
    valid = sum(report.ok for report in reports)
    out.write(f"{len(reports)} deliveries checked: {valid} valid, {len(reports) - valid} not; ")
    out.write("nothing was written\n")
    return 0 if valid == len(reports) else 1


def _known_services(settings: Settings) -> dict[str, int] | None:
    """The catalog's references, so the dry run counts unknown services as ingest will; None
    (references not checked) when the database is not migrated yet."""
    engine = make_engine(settings)
    try:
        with make_sessions(engine)() as session:
            return service_references(session)
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def _ingest(
    settings: Settings, planned: Sequence[PlannedDelivery], source: str, out: TextIO
) -> int:
    engine = make_engine(settings)
    try:
        entries = ingest_planned(
            make_sessions(engine), planned, root=Path("."), source=source,
            rules=AllocationRules(), now=settings.clock().now(),
        )  # fmt: skip
    finally:
        engine.dispose()
    for entry in entries:
        out.write("\n".join(entry_lines(entry)) + "\n")
    out.write(summary(entries) + "\n")
    return 0 if all(entry.status in _OK for entry in entries) else 1


def pull_command(
    settings: Settings,
    args: argparse.Namespace,
    out: TextIO | None = None,
    api: PageSource | None = None,
) -> int:
    """Pull every month from --from to --to (inclusive) through the FOCUS path, oldest first."""
    out = out or sys.stdout
    try:
        periods = months(args.first, args.last)
    except ValueError as error:
        log.error("%s", error)
        return 2
    client = api if api is not None else BillingApiClient.from_settings(settings)
    if client is None:
        log.error("no billing API: set TIGHTROPE_BILLING_API_URL and TIGHTROPE_BILLING_API_KEY")
        return 2
    engine = make_engine(settings)
    try:
        failed = _pull(make_sessions(engine), client, periods, settings, out)
    finally:
        engine.dispose()
        if api is None and isinstance(client, BillingApiClient):
            client.close()
    out.write(f"{len(periods)} months pulled: {len(periods) - failed} ok, {failed} refused\n")
    return 1 if failed else 0


def months(first: str, last: str) -> tuple[str, ...]:
    """Calendar months `YYYY-MM` from `first` to `last`, both included (at most ten years)."""
    start, end = _month(first), _month(last)
    if end < start:
        raise ValueError(f"--to {last} is before --from {first}")
    if (end[0] - start[0]) * 12 + end[1] - start[1] >= _MAX_MONTHS:
        raise ValueError(f"at most {_MAX_MONTHS} months in one pull")
    found, (year, month) = [], start
    while (year, month) <= end:
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(found)


def _month(text: str) -> tuple[int, int]:
    if re.fullmatch(PERIOD_PATTERN, text) is None:
        raise ValueError(f"{text!r} is not a month: write YYYY-MM (2026-01)")
    year, month = text.split("-")
    return int(year), int(month)


def _pull(
    sessions: sessionmaker[Session], api: PageSource, periods: Sequence[str], settings: Settings,
    out: TextIO,
) -> int:  # fmt: skip
    failed = 0
    for period in periods:
        try:
            report = ingest_period(
                sessions, api, period, rules=AllocationRules(), now=settings.clock().now(),
                max_pages=settings.billing_api_max_pages,
            )  # fmt: skip
        except (CredentialsInvalid, BillingApiCircuitOpen) as error:
            out.write(f"{'refused':9} {period}: {error} (the remaining months were not asked)\n")
            return failed + 1
        except (BillingApiError, FocusIngestError) as error:
            out.write(f"{'refused':9} {period}: {error}\n")
            failed += 1
            continue
        out.write("\n".join(_pulled(period, report)) + "\n")
    return failed


def _pulled(period: str, report: IngestReport | None) -> list[str]:
    if report is None:
        return [f"{'empty':9} billing API {period}: no items (nothing loaded or removed)"]
    name = f"billing API {period}"
    entry = DirectoryEntry(Path(period), name, report.status, report, None, report.notes)
    return entry_lines(entry)


def report_lines(report: ValidationReport, *, notes: Sequence[str] = ()) -> list[str]:
    """The upload page's report as text: verdict, counts, totals per currency, periods, findings."""
    verdict = "valid" if report.ok else f"NOT VALID ({len(report.errors)} kinds of error)"
    lines = [
        f"{report.file_name}: {verdict}",
        f"  {report.rows_read:,} rows; format {report.content_kind or 'unknown'}; "
        f"FOCUS {report.focus_version or '—'}; {len(report.partitions)} billing periods",
    ]
    lines += [f"  {total.billing_currency}: " + _money(total.as_json()) for total in report.totals]
    lines += [
        f"  period {p.billing_period_start:%Y-%m-%d}–{p.billing_period_end:%Y-%m-%d}, account "
        f"{p.billing_account_id} ({p.provider}): {p.rows:,} rows, last charge {p.charged_through}"
        for p in report.partitions
    ]
    lines += [f"  error: {finding.describe()}" for finding in report.errors]
    lines += [f"  warning: {finding.describe()}" for finding in report.warnings]
    return lines + [f"  note: {note}" for note in notes]


def entry_lines(entry: DirectoryEntry) -> list[str]:
    """One delivery's outcome, then its totals per currency (as loaded) and notes."""
    status = _WORDS.get(entry.status, entry.status)
    report = entry.report
    if report is None:
        why = (entry.error or "").removeprefix(f"{entry.name}: ").removeprefix(f"{entry.name} ")
        return [f"{status:9} {entry.name}: {why}", *(f"  note: {n}" for n in entry.notes)]
    head = f"{status:9} {entry.name}: {report.rows_read:,} rows"
    if entry.status == "loaded":
        head += f" → {report.cost_rows:,} daily cost rows (delivery #{report.ingested_file_id})"
    else:
        head += f" (delivery #{report.ingested_file_id})"
    totals = [f"  {currency}: {_money(sums)}" for currency, sums in sorted(report.totals.items())]
    return [head, *totals, *(f"  note: {note}" for note in entry.notes)]


def _money(sums: dict[str, Any]) -> str:
    """Exact sums, rounded to the cent for display only."""
    shown = (
        f"{name} {Decimal(str(sums[key])):,.2f}"
        for name, key in (("billed", "billed_cost"), ("effective", "effective_cost"),
                          ("list", "list_cost"), ("unallocated", "unallocated_effective_cost"))
    )  # fmt: skip
    return ", ".join(shown) + f" ({sums['rows']:,} rows)"
