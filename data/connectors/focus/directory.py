"""Ingest every file of a billing export directory, oldest name first; one bad file stops none."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from data.connectors.focus.allocation import AllocationRules
from data.connectors.focus.errors import FocusIngestError
from data.connectors.focus.ingest import ingest_file
from data.connectors.focus.limits import IngestLimits
from data.connectors.focus.report import IngestReport

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """One file's outcome: its report, or the error that rejected it."""

    path: Path
    report: IngestReport | None
    error: str | None


def ingest_directory(
    sessions: sessionmaker[Session],
    directory: Path,
    *,
    source: str,
    rules: AllocationRules,
    now: datetime,
    limits: IngestLimits | None = None,
) -> tuple[DirectoryEntry, ...]:
    """Every regular, non-hidden file (sorted by name, so restatements land in order).

    Files already ingested are no-ops, so a scheduler may call this on every tick. Content,
    not the extension, decides whether a file is FOCUS: anything else is rejected and listed.
    """
    entries = []
    for path in sorted(
        p for p in directory.iterdir() if p.is_file() and not p.name.startswith(".")
    ):
        try:
            report = ingest_file(sessions, path, source=source, rules=rules, now=now, limits=limits)
        except FocusIngestError as error:
            log.warning("FOCUS file %s rejected: %s", path.name, error)
            entries.append(DirectoryEntry(path, None, str(error)))
            continue
        entries.append(DirectoryEntry(path, report, None))
    return tuple(entries)
