"""`python -m data audit verify`: walk the audit hash chain, report its first broken link."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from typing import TextIO

from sqlalchemy import Connection, Engine, select

from data.audit_chain import AuditFields, ChainReport, StoredEvent, walk
from data.db import make_engine
from data.models import AuditEventRow
from data.settings import Settings

log = logging.getLogger(__name__)

_BATCH_ROWS = 1_000  # events held in memory at once, however long the trail


def verify_command(settings: Settings, _args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Exit 0 when every event links to the one before and matches its hash, else 1."""
    out = out or sys.stdout
    engine = make_engine(settings)
    try:
        report = verify_chain(engine)
    finally:
        engine.dispose()
    out.write(describe(report) + "\n")
    return 0 if report.broken is None else 1


def verify_chain(engine: Engine) -> ChainReport:
    """Walk every stored event in id order, in one read-only transaction."""
    with engine.connect() as connection:
        return walk(_stored_events(connection))


def describe(report: ChainReport) -> str:
    """One line an operator can act on (and a test can read)."""
    if report.broken is None:
        return f"audit chain whole: {report.events} events, head hash {report.head_hash}"
    broken = report.broken
    return (
        f"audit chain broken at event {broken.event_id}: {broken.problem} "
        f"(stored {broken.stored}, expected {broken.expected}); "
        f"the {report.events} events before it are whole"
    )


def _stored_events(connection: Connection) -> Iterator[StoredEvent]:
    query = select(AuditEventRow.__table__).order_by(AuditEventRow.id)
    for row in connection.execution_options(yield_per=_BATCH_ROWS).execute(query):
        fields = AuditFields(
            at=row.at, actor=row.actor, action=row.action, target_type=row.target_type,
            target_id=row.target_id, before=row.before, after=row.after, detail=row.detail,
        )  # fmt: skip
        yield StoredEvent(row.id, fields, row.prev_hash, row.hash)
