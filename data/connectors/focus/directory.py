"""A pass over billing exports: each delivery loaded once, and one bad delivery stops none."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.focus.allocation import AllocationRules
from data.connectors.focus.ingest import ingest_delivery
from data.connectors.focus.layouts import PlannedDelivery, directory_files, plan_files
from data.connectors.focus.limits import IngestLimits
from data.connectors.focus.report import IngestReport
from data.errors import DeliveryIncomplete, FocusIngestError

log = logging.getLogger(__name__)

Status = Literal["loaded", "already_ingested", "outdated", "held", "refused"]
_MAX_LISTED = 3


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """One delivery's outcome: its report (loaded, unchanged or outdated), or why it was held
    (parts missing) or refused. `path` is its first file, or its manifest."""

    path: Path
    name: str
    status: Status
    report: IngestReport | None
    error: str | None
    notes: tuple[str, ...] = ()


def ingest_directory(
    sessions: sessionmaker[Session],
    directory: Path,
    *,
    source: str,
    rules: AllocationRules,
    now: datetime,
    limits: IngestLimits | None = None,
) -> tuple[DirectoryEntry, ...]:
    """Every delivery under `directory` (decision 011: manifests, numbered parts, single
    files), in name order. Loaded deliveries are no-ops, so a scheduler may call this on every
    tick; content, not the extension, decides whether a file is FOCUS."""
    planned = plan_files(directory_files(directory))
    return ingest_planned(
        sessions, planned, root=directory, source=source, rules=rules, now=now, limits=limits
    )


def ingest_planned(
    sessions: sessionmaker[Session],
    planned: Sequence[PlannedDelivery],
    *,
    root: Path,
    source: str,
    rules: AllocationRules,
    now: datetime,
    limits: IngestLimits | None = None,
) -> tuple[DirectoryEntry, ...]:
    """Ingest each delivery in turn; a held or refused one is listed and the pass goes on."""
    return tuple(
        _ingest(sessions, delivery, root, source=source, rules=rules, now=now, limits=limits)
        for delivery in planned
    )


def _ingest(
    sessions: sessionmaker[Session], delivery: PlannedDelivery, root: Path, *, source: str,
    rules: AllocationRules, now: datetime, limits: IngestLimits | None,
) -> DirectoryEntry:  # fmt: skip
    path = _path(delivery, root)
    try:
        report = ingest_delivery(
            sessions, delivery, source=source, rules=rules, now=now, limits=limits
        )
    except DeliveryIncomplete as error:
        log.warning("billing delivery %s held: %s", delivery.name, error)
        return DirectoryEntry(path, delivery.name, "held", None, str(error), delivery.notes)
    except FocusIngestError as error:
        log.warning("billing delivery %s refused: %s", delivery.name, error)
        return DirectoryEntry(path, delivery.name, "refused", None, str(error), delivery.notes)
    except SQLAlchemyError:
        raise  # the database itself failed (unreachable, not migrated): no delivery's fault
    except Exception as error:  # one delivery's unforeseen fault must not stop the others
        log.exception("billing delivery %s failed", delivery.name)
        message = f"unexpected error ({type(error).__name__}: {error})"
        return DirectoryEntry(path, delivery.name, "refused", None, message, delivery.notes)
    notes = delivery.notes + report.notes
    return DirectoryEntry(path, delivery.name, report.status, report, None, notes)


def _path(delivery: PlannedDelivery, root: Path) -> Path:
    if delivery.manifest is not None:
        return root / delivery.manifest
    first = delivery.parts[0].content if delivery.parts else None
    return first if isinstance(first, Path) else root / delivery.name


def summary(entries: Sequence[DirectoryEntry]) -> str:
    """'5 deliveries: 3 loaded, 1 unchanged, 1 refused' — every status that occurred."""
    words = {"already_ingested": "unchanged", "outdated": "older than stored"}
    counts = Counter(entry.status for entry in entries)
    parts = ", ".join(f"{n} {words.get(status, status)}" for status, n in sorted(counts.items()))
    noun = "delivery" if len(entries) == 1 else "deliveries"
    return f"{len(entries)} {noun}" + (f": {parts}" if parts else "")


def problems(entries: Sequence[DirectoryEntry]) -> str | None:
    """'1 of 5 refused: bad.csv: <why>; 1 of 5 held: <delivery> is held: missing <part>' —
    None when every delivery loaded, was unchanged or was older than what is stored."""
    found = [_listed(entries, status) for status in ("refused", "held")]
    return "; ".join(text for text in found if text) or None


def _listed(entries: Sequence[DirectoryEntry], status: Status) -> str | None:
    chosen = [entry for entry in entries if entry.status == status]
    if not chosen:
        return None
    shown = "; ".join(f"{entry.name}: {entry.error}" for entry in chosen[:_MAX_LISTED])
    more = f"; and {len(chosen) - _MAX_LISTED} more" if len(chosen) > _MAX_LISTED else ""
    return f"{len(chosen)} of {len(entries)} {status}: {shown}{more}"
