"""The two entry points: validate a file (no writes) and ingest it (idempotent, all or nothing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.focus.allocation import AllocationRules
from data.connectors.focus.errors import FileRejected, FocusIngestError
from data.connectors.focus.findings import Finding
from data.connectors.focus.limits import IngestLimits
from data.connectors.focus.load import REJECTED, find_delivery, load_parsed, record_rejection
from data.connectors.focus.parse import ParseCancelled, ParsedFile, parse_file
from data.connectors.focus.report import IngestReport, ValidationReport
from data.connectors.focus.source import RawFile, inspect, read_raw
from data.models import IngestedFileRow

PathOrBytes = str | Path | bytes


def validate_file(
    path_or_bytes: PathOrBytes,
    *,
    name: str | None = None,
    rules: AllocationRules | None = None,
    limits: IngestLimits | None = None,
) -> ValidationReport:
    """Read and check a FOCUS file; file-level faults become the report's single error."""
    raw = read_raw(path_or_bytes, name=name)
    try:
        return _parse(raw, rules or AllocationRules(), limits or IngestLimits()).report
    except FocusIngestError as error:
        return failed_report(raw, error)


def ingest_file(
    sessions: sessionmaker[Session],
    path_or_bytes: PathOrBytes,
    *,
    source: str,
    rules: AllocationRules,
    now: datetime,
    name: str | None = None,
    limits: IngestLimits | None = None,
) -> IngestReport:
    """Load a FOCUS file; the same content again is a no-op ("already_ingested").

    Raises a FocusIngestError (after recording the rejected delivery in its own transaction)
    when the file cannot be loaded; the cost tables are then exactly as before. The parse
    starts while the content is hashed and stops once the hash names a loaded delivery, so a
    no-op costs about the hash.
    """
    raw = read_raw(path_or_bytes, name=name)
    earlier = _EarlierDelivery(sessions, raw)
    try:
        parsed = _parse(raw, rules, limits or IngestLimits(), cancelled=earlier.loaded)
        if earlier.loaded(wait=True):
            return _already(earlier.row, raw)
        _refuse_errors(parsed)
        with sessions.begin() as session:
            return load_parsed(session, parsed, source=source, now=now)
    except ParseCancelled:
        return _already(earlier.row, raw)
    except IntegrityError:
        return _lost_race(sessions, raw)
    except FocusIngestError as error:
        if earlier.loaded(wait=True):
            return _already(earlier.row, raw)
        report = error.report if isinstance(error, FileRejected) else None
        _record(sessions, raw, source, report, error, now)
        raise
    except SQLAlchemyError as error:
        refused = FocusIngestError(
            f"{raw.name}: the database refused the load ({getattr(error, 'orig', error)})"
        )
        _record(sessions, raw, source, None, refused, now)
        raise refused from error


def stage_file(
    path_or_bytes: PathOrBytes,
    *,
    rules: AllocationRules,
    name: str | None = None,
    limits: IngestLimits | None = None,
) -> ParsedFile:
    """Parse and validate for a caller that loads inside its own transaction (`load_parsed`).

    Raises FocusIngestError (FileRejected with the report for row errors); writes nothing.
    """
    parsed = _parse(read_raw(path_or_bytes, name=name), rules, limits or IngestLimits())
    _refuse_errors(parsed)
    return parsed


def failed_report(raw: RawFile, error: FocusIngestError) -> ValidationReport:
    """A report for a file refused as a whole (encoding, content type, caps, columns)."""
    if isinstance(error, FileRejected):
        return error.report
    finding = Finding("error", type(error).__name__, str(error))
    return ValidationReport(raw.name, raw.sha256, None, None, 0, (), (), (), (finding,))


def _parse(
    raw: RawFile,
    rules: AllocationRules,
    limits: IngestLimits,
    *,
    cancelled: Callable[[], bool] | None = None,
) -> ParsedFile:
    source = inspect(raw, limits=limits)
    if cancelled is None:
        return parse_file(source, rules=rules, limits=limits)
    return parse_file(source, rules=rules, limits=limits, cancelled=cancelled)


class _EarlierDelivery:
    """Whether this content was loaded before: asked once, as soon as its hash is known."""

    def __init__(self, sessions: sessionmaker[Session], raw: RawFile) -> None:
        self._sessions, self._raw = sessions, raw
        self._asked = False
        self._row: IngestedFileRow | None = None

    @property
    def row(self) -> IngestedFileRow:
        assert self._row is not None
        return self._row

    def loaded(self, *, wait: bool = False) -> bool:
        """True when a loaded (or superseded) delivery has this hash; waits only if told."""
        if not self._asked and (wait or self._raw.digest.done()):
            self._asked = True
            with self._sessions() as session:
                self._row = find_delivery(session, self._raw.sha256)
        return self._row is not None and self._row.status != REJECTED


def _refuse_errors(parsed: ParsedFile) -> None:
    report = parsed.report
    if report.ok:
        return
    first = report.errors[0].describe()
    more = f" (and {len(report.errors) - 1} more kinds of error)" if len(report.errors) > 1 else ""
    raise FileRejected(f"{report.file_name} was not loaded: {first}{more}", report)


def _record(
    sessions: sessionmaker[Session],
    raw: RawFile,
    source: str,
    report: ValidationReport | None,
    error: FocusIngestError,
    now: datetime,
) -> None:
    errors = (
        [finding.as_json() for finding in report.errors]
        if report is not None
        else [{"code": type(error).__name__, "message": str(error)}]
    )
    record_rejection(
        sessions,
        source=source,
        file_name=raw.name,
        content_sha256=raw.sha256,
        report=report,
        errors=errors,
        now=now,
    )


def _already(earlier: IngestedFileRow, raw: RawFile) -> IngestReport:
    """The no-op answer, with what the earlier delivery of this content recorded."""
    return IngestReport(
        status="already_ingested",
        ingested_file_id=earlier.id,
        file_name=raw.name,
        content_sha256=raw.sha256,
        rows_read=earlier.rows_read,
        cost_rows=0,
        totals=dict(earlier.totals),
        replaced_file_ids=(),
        warnings=(),
    )


def _lost_race(sessions: sessionmaker[Session], raw: RawFile) -> IngestReport:
    """A concurrent ingest of the same content committed first: ours rolled back whole."""
    with sessions() as session:
        earlier = find_delivery(session, raw.sha256)
    if earlier is None or earlier.status == REJECTED:
        raise FocusIngestError(f"{raw.name}: the database refused the load; try again")
    return _already(earlier, raw)
