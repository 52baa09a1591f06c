"""The audit trail is append-only (triggers on SQLite and PostgreSQL); it reads newest first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from data.repos import changes
from tests.data.workflow.world import NOW, add_open_rec, audit_rows, make_flow

ON_POSTGRES = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@ON_POSTGRES
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET actor = 'mallory'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
    ],
)
def test_postgres_refuses_to_rewrite_audit_events(
    sessions: sessionmaker[Session], db_engine: Engine, statement: str
) -> None:
    rec = add_open_rec(sessions)
    make_flow(sessions).apply("apu", rec.id, expected_version=rec.version, now=NOW)

    with pytest.raises(DBAPIError, match="append-only"), db_engine.begin() as connection:
        connection.execute(text(statement))

    assert [e.actor for e in audit_rows(sessions)] == ["apu"]


def test_audit_events_read_newest_first_with_filters(sessions: sessionmaker[Session]) -> None:
    first, second = add_open_rec(sessions, "svc-a"), add_open_rec(sessions, "svc-b")
    flow = make_flow(sessions)
    flow.apply("apu", first.id, expected_version=first.version, now=NOW)
    later = NOW + timedelta(hours=1)
    flow.reject("ana", second.id, expected_version=second.version, reason="no", now=later)

    with sessions() as session:
        every = changes.list_audit_events(session)
        by_ana = changes.list_audit_events(session, actor="ana")
        applies = changes.list_audit_events(session, action="apply", target_type="recommendation")
        recent = changes.list_audit_events(session, since=later)

    assert [e.action for e in every] == ["reject", "apply"]
    assert [e.actor for e in by_ana] == ["ana"]
    assert [e.target_id for e in applies] == [str(first.id)]
    assert [e.at for e in recent] == [later]


def test_changes_read_newest_first_with_filters(sessions: sessionmaker[Session]) -> None:
    first, second = add_open_rec(sessions, "svc-a"), add_open_rec(sessions, "svc-b")
    flow = make_flow(sessions)
    one = flow.apply("apu", first.id, expected_version=first.version, now=NOW)
    two = flow.apply(
        "apu", second.id, expected_version=second.version, now=NOW + timedelta(hours=1)
    )
    flow.rollback("apu", one.change_id or 0, now=NOW + timedelta(hours=2))

    with sessions() as session:
        every = changes.list_changes(session)
        of_a = changes.list_changes(session, service_id=first.service_id)
        live = changes.list_changes(session, status="applied")
        newest = changes.list_changes(session, limit=1)

    assert [c.id for c in every] == [two.change_id, one.change_id]
    assert [(c.service_slug, c.status) for c in of_a] == [("svc-a", "rolled_back")]
    assert [c.id for c in live] == [two.change_id]
    assert [c.id for c in newest] == [two.change_id]
