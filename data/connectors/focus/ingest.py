"""The entry points: validate a file or a delivery (no writes), ingest one (idempotent, whole)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.focus.allocation import AllocationRules
from data.connectors.focus.delivery import (
    StagedDelivery,
    delivery_identity,
    empty_report,
    failed_report,
    merged,
    parse_raw,
    part_hashes,
    stage,
    with_planning_errors,
    with_row_check,
)
from data.connectors.focus.layouts import PartFile, PlannedDelivery
from data.connectors.focus.limits import IngestLimits
from data.connectors.focus.load import REJECTED, find_delivery, load_parsed, record_rejection
from data.connectors.focus.parse import ParsedFile
from data.connectors.focus.references import resolved
from data.connectors.focus.report import DeliveredPart, IngestReport, ValidationReport
from data.connectors.focus.source import read_raw
from data.errors import (
    DeliveryIncomplete,
    DeliveryRefused,
    FileRejected,
    FocusIngestError,
    ParseCancelled,
)
from data.models import IngestedFileRow

PathOrBytes = str | Path | bytes
LoadHook = Callable[[Session, IngestReport], None]
# (session, rejected delivery id, why): runs in the transaction that records the rejection.
RejectHook = Callable[[Session, int, str], None]


def validate_file(
    path_or_bytes: PathOrBytes,
    *,
    name: str | None = None,
    rules: AllocationRules | None = None,
    limits: IngestLimits | None = None,
    known_services: Mapping[str, int] | None = None,
) -> ValidationReport:
    """Read and check a FOCUS file; file-level faults become the report's single error."""
    planned = _one_file(path_or_bytes, name)
    return validate_delivery(planned, rules=rules, limits=limits, known_services=known_services)


def validate_delivery(
    planned: PlannedDelivery,
    *,
    rules: AllocationRules | None = None,
    limits: IngestLimits | None = None,
    known_services: Mapping[str, int] | None = None,
) -> ValidationReport:
    """What the upload page and `python -m data ingest --dry-run` show: every part read and
    checked, totals and scopes over all of them; missing parts and a refusal are its first
    errors. Nothing is written. Given the catalog's references (`service_references`), rows
    naming an unknown service count as unallocated and are warned about, as ingest will."""
    if not planned.parts:
        return with_planning_errors(planned, empty_report(planned))
    hashes = part_hashes(planned)
    staged = stage(planned, rules=rules or AllocationRules(), limits=limits or IngestLimits(),
                   hashes=hashes)  # fmt: skip
    report = staged.parsed.report
    if known_services is not None:
        report = resolved(report, staged.parsed.cost_columns, known_services)
    return with_planning_errors(planned, report)


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
    """Load one FOCUS file as a delivery of its own (see `ingest_delivery`)."""
    planned = _one_file(path_or_bytes, name)
    return ingest_delivery(sessions, planned, source=source, rules=rules, now=now, limits=limits)


def ingest_delivery(
    sessions: sessionmaker[Session],
    planned: PlannedDelivery,
    *,
    source: str,
    rules: AllocationRules,
    now: datetime,
    limits: IngestLimits | None = None,
    on_load: LoadHook | None = None,
    on_reject: RejectHook | None = None,
) -> IngestReport:
    """Load a delivery whole, in one transaction; the same content again is a no-op.

    `on_load(session, report)` runs inside the load's transaction once the delivery is
    written (loaded or outdated): the dashboard's audit event commits or rolls back with it;
    `on_reject(session, delivery_id, why)` likewise inside the one recording a rejection.

    Raises DeliveryIncomplete (held: nothing read or written) when parts are missing, and any
    other FocusIngestError — after recording the rejected delivery in its own transaction —
    when it cannot be loaded; the cost tables are then exactly as before. A one-file delivery
    is parsed while it is hashed and the parse stops once the hash names a loaded delivery;
    several files are hashed first (streamed), so an unchanged delivery is not parsed at all.
    """
    if planned.refusal is not None:
        raise DeliveryRefused(f"{planned.name}: {planned.refusal}")
    if planned.missing:
        missing = ", ".join(planned.missing)
        raise DeliveryIncomplete(f"{planned.name} is held: missing {missing}", planned.missing)
    limits = limits or IngestLimits()
    if len(planned.parts) == 1:
        staged = _stage_one(
            sessions, planned, rules, limits, source=source, now=now, on_reject=on_reject
        )
    else:
        staged = _stage_many(sessions, planned, rules, limits)
    if isinstance(staged, IngestReport):
        return staged
    return _load(sessions, staged, source=source, now=now, on_load=on_load, on_reject=on_reject)


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
    parsed = parse_raw(read_raw(path_or_bytes, name=name), rules, limits or IngestLimits())
    _refuse_errors(parsed.report)
    return parsed


def _one_file(path_or_bytes: PathOrBytes, name: str | None) -> PlannedDelivery:
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        part = PartFile(name or "upload", bytes(path_or_bytes))
    else:
        part = PartFile(name or Path(path_or_bytes).name, Path(path_or_bytes))
    return PlannedDelivery(part.name, "file", (part,))


def _stage_one(
    sessions: sessionmaker[Session], planned: PlannedDelivery, rules: AllocationRules,
    limits: IngestLimits, *, source: str, now: datetime, on_reject: RejectHook | None,
) -> StagedDelivery | IngestReport:  # fmt: skip
    part = planned.parts[0]
    raw = read_raw(part.content, name=part.name)
    earlier = _EarlierDelivery(sessions, raw.digest.done, lambda: raw.sha256)
    try:
        parsed = parse_raw(raw, rules, limits, cancelled=earlier.loaded)
    except ParseCancelled:
        return _already(earlier.row, planned.name, raw.sha256)
    except FocusIngestError as error:
        if earlier.loaded(wait=True):
            return _already(earlier.row, planned.name, raw.sha256)
        _record(sessions, failed_report(raw, error), error, source=source, now=now, hook=on_reject)
        raise
    if earlier.loaded(wait=True):
        return _already(earlier.row, planned.name, raw.sha256)
    parsed = with_row_check(part, parsed)
    recorded = DeliveredPart(part.name, raw.sha256, parsed.report.rows_read, raw.content.size)
    return StagedDelivery(planned, merged(planned, raw.sha256, [parsed]), (recorded,))


def _stage_many(
    sessions: sessionmaker[Session], planned: PlannedDelivery, rules: AllocationRules,
    limits: IngestLimits,
) -> StagedDelivery | IngestReport:  # fmt: skip
    hashes = part_hashes(planned)
    identity = delivery_identity(hashes)
    with sessions() as session:
        earlier = find_delivery(session, identity)
    if earlier is not None and earlier.status != REJECTED:
        return _already(earlier, planned.name, identity)
    return stage(planned, rules=rules, limits=limits, hashes=hashes)


def _load(
    sessions: sessionmaker[Session], staged: StagedDelivery, *, source: str, now: datetime,
    on_load: LoadHook | None, on_reject: RejectHook | None,
) -> IngestReport:  # fmt: skip
    report = staged.parsed.report
    try:
        _refuse_errors(report)
        with sessions.begin() as session:
            loaded = load_parsed(
                session, staged.parsed, source=source, now=now,
                exported_at=staged.planned.exported_at, parts=staged.parts,
            )  # fmt: skip
            if on_load is not None:
                on_load(session, loaded)
            return loaded
    except IntegrityError:
        return _lost_race(sessions, report)
    except FocusIngestError as error:
        _record(sessions, report, error, source=source, now=now, hook=on_reject)
        raise
    except (SQLAlchemyError, ValueError, UnicodeError) as error:
        # ValueError/UnicodeError: a driver refusing a value client-side (psycopg2 and NUL).
        cause = getattr(error, "orig", None) or error
        refused = FocusIngestError(f"{report.file_name}: the database refused the load ({cause})")
        _record(sessions, report, refused, source=source, now=now, hook=on_reject)
        raise refused from error


class _EarlierDelivery:
    """Whether this content was loaded before: asked once, as soon as its hash is known."""

    def __init__(
        self, sessions: sessionmaker[Session], known: Callable[[], bool], sha256: Callable[[], str]
    ) -> None:
        self._sessions, self._known, self._sha256 = sessions, known, sha256
        self._asked = False
        self._row: IngestedFileRow | None = None

    @property
    def row(self) -> IngestedFileRow:
        assert self._row is not None
        return self._row

    def loaded(self, *, wait: bool = False) -> bool:
        """True when a loaded, superseded or outdated delivery has this hash; waits only if told."""
        if not self._asked and (wait or self._known()):
            self._asked = True
            with self._sessions() as session:
                self._row = find_delivery(session, self._sha256())
        return self._row is not None and self._row.status != REJECTED


def _refuse_errors(report: ValidationReport) -> None:
    if report.ok:
        return
    first = report.errors[0].describe()
    more = f" (and {len(report.errors) - 1} more kinds of error)" if len(report.errors) > 1 else ""
    raise FileRejected(f"{report.file_name} was not loaded: {first}{more}", report)


def _record(
    sessions: sessionmaker[Session],
    report: ValidationReport,
    error: FocusIngestError,
    *,
    source: str,
    now: datetime,
    hook: RejectHook | None,
) -> None:
    rejected = isinstance(error, FileRejected)
    errors = (
        [finding.as_json() for finding in report.errors]
        if rejected
        else [{"code": type(error).__name__, "message": str(error)}]
    )
    record_rejection(
        sessions,
        source=source,
        file_name=report.file_name,
        content_sha256=report.content_sha256,
        report=report,
        errors=errors,
        now=now,
        on_record=None
        if hook is None
        else lambda session, row_id: hook(session, row_id, str(error)),
    )


def _already(earlier: IngestedFileRow, name: str, identity: str) -> IngestReport:
    """The no-op answer, with what the earlier delivery of this content recorded."""
    notes = () if earlier.status == "loaded" else (f"delivery #{earlier.id} is {earlier.status}",)
    return IngestReport(
        status="already_ingested",
        ingested_file_id=earlier.id,
        file_name=name,
        content_sha256=identity,
        rows_read=earlier.rows_read,
        cost_rows=0,
        totals=dict(earlier.totals),
        replaced_file_ids=(),
        warnings=(),
        notes=notes,
        part_count=earlier.part_count,
    )


def _lost_race(sessions: sessionmaker[Session], report: ValidationReport) -> IngestReport:
    """A concurrent ingest of the same content (or scope) committed first: ours rolled back."""
    with sessions() as session:
        earlier = find_delivery(session, report.content_sha256)
    if earlier is None or earlier.status == REJECTED:
        raise FocusIngestError(f"{report.file_name}: the database refused the load; try again")
    return _already(earlier, report.file_name, report.content_sha256)
