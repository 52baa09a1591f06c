"""The stored audit trail: append-only on both backends, hash-chained, checked by `audit verify`."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from data.audit_chain import BROKEN_LINK, CHANGED_CONTENT, GENESIS_HASH
from data.audit_cli import verify_chain, verify_command
from data.models import AuditEventRow
from data.repos.audit import record_event
from data.settings import Settings
from tests.data.workflow.world import NOW, add_open_rec, make_flow

ROOT = Path(__file__).resolve().parents[2]


def append(sessions: sessionmaker[Session], count: int, actor: str = "ana") -> None:
    for n in range(count):
        with sessions.begin() as session:
            record_event(
                session,
                actor=actor,
                action="acknowledge",
                target=("cost_anomaly", n),
                before={"acknowledged": False},
                after={"acknowledged": True},
                detail={"delta_usd": 12.5 + n, "note": "checked with the team"},
                now=NOW + timedelta(seconds=n),
            )


def tamper(engine: Engine, statement: str) -> None:
    """Rewrite the trail as someone who owns the table would: guards off, then the statement."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
            connection.execute(text(statement))
            connection.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_event_no_update"))
            connection.execute(text("DROP TRIGGER audit_event_no_delete"))
            connection.execute(text(statement))


def verify_process(settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TIGHTROPE_DATABASE_URL": settings.database_url}
    return subprocess.run(
        [sys.executable, "-m", "data", "audit", "verify"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET actor = 'mallory'",
        "DELETE FROM audit_event WHERE id = 1",
        "DELETE FROM audit_event",  # SQLite's truncate optimization must not skip the trigger
    ],
)
def test_the_trail_refuses_updates_and_deletes(
    sessions: sessionmaker[Session], db_engine: Engine, statement: str
) -> None:
    append(sessions, 2)

    with pytest.raises(DBAPIError, match="append-only"), db_engine.begin() as connection:
        connection.execute(text(statement))

    with sessions() as session:
        assert session.scalars(select(AuditEventRow.actor)).all() == ["ana", "ana"]


def test_events_chain_from_the_genesis_hash(sessions: sessionmaker[Session]) -> None:
    append(sessions, 3)

    with sessions() as session:
        rows = session.scalars(select(AuditEventRow).order_by(AuditEventRow.id)).all()

    assert [r.prev_hash for r in rows] == [GENESIS_HASH, rows[0].hash, rows[1].hash]


def test_events_of_one_transaction_chain_in_order(
    sessions: sessionmaker[Session], db_engine: Engine
) -> None:
    rec = add_open_rec(sessions)

    make_flow(sessions).apply("apu", rec.id, expected_version=rec.version, now=NOW)
    append(sessions, 1)

    report = verify_chain(db_engine)
    assert (report.events, report.broken) == (2, None)


def test_verify_says_whole_and_exits_0_on_an_untouched_trail(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    append(sessions, 3)
    out = StringIO()

    code = verify_command(settings, None, out)  # type: ignore[arg-type]

    assert code == 0
    assert out.getvalue().startswith("audit chain whole: 3 events, head hash ")


def test_verify_names_the_changed_event_and_exits_1(
    sessions: sessionmaker[Session], db_engine: Engine, settings: Settings
) -> None:
    append(sessions, 4)
    tamper(db_engine, "UPDATE audit_event SET actor = 'mallory' WHERE id = 3")

    done = verify_process(settings)

    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith(f"audit chain broken at event 3: {CHANGED_CONTENT}")
    assert "the 2 events before it are whole" in done.stdout


def test_verify_names_the_event_after_a_deleted_one(
    sessions: sessionmaker[Session], db_engine: Engine
) -> None:
    append(sessions, 4)
    tamper(db_engine, "DELETE FROM audit_event WHERE id = 2")

    report = verify_chain(db_engine)

    assert report.broken is not None
    assert (report.broken.event_id, report.broken.problem, report.events) == (3, BROKEN_LINK, 1)


def test_two_events_cannot_claim_the_same_predecessor(
    sessions: sessionmaker[Session], db_engine: Engine
) -> None:
    append(sessions, 1)
    fork = (
        "INSERT INTO audit_event (at, actor, action, target_type, target_id, detail, prev_hash, "
        "hash) VALUES (:at, 'x', 'apply', 'budget', '1', '{}', :prev, :prev)"
    )

    with pytest.raises(IntegrityError), db_engine.begin() as connection:
        connection.execute(text(fork), {"at": NOW, "prev": GENESIS_HASH})


def test_concurrent_writers_keep_the_chain_whole(
    sessions: sessionmaker[Session], db_engine: Engine
) -> None:
    writers, per_writer = 3, 15
    start, failures = threading.Barrier(writers), []

    def write(actor: str) -> None:
        start.wait()
        try:
            append(sessions, per_writer, actor)
        except Exception as error:  # pragma: no cover - reported by the assert below
            failures.append(error)

    threads = [threading.Thread(target=write, args=(f"w{n}",)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    report = verify_chain(db_engine)
    assert failures == []
    assert (report.events, report.broken) == (writers * per_writer, None)
