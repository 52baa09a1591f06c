"""Migration 0009: the events already stored are chained in id order; SQLite gets its guards."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from data.audit_cli import verify_chain
from data.migrate import downgrade, upgrade
from data.repos.audit import record_event
from data.types import PortableJSON, UTCDateTime
from tests.factories import T0

# audit_event as 0008 left it: no hash columns.
EVENT_0008 = sa.table(
    "audit_event",
    sa.column("at", UTCDateTime()),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("target_type", sa.String()),
    sa.column("target_id", sa.String()),
    sa.column("before", PortableJSON),
    sa.column("after", PortableJSON),
    sa.column("detail", PortableJSON),
)


def insert_0008_events(engine: Engine, count: int) -> None:
    rows = [
        {
            "at": T0 + timedelta(minutes=n), "actor": f"actor-{n}", "action": "apply",
            "target_type": "recommendation", "target_id": str(n), "before": {"replicas": 3},
            "after": None if n % 2 else {"replicas": 2},
            "detail": {"monthly_savings_usd": 70.08 * n, "big": 1e20, "tags": ["a", n]},
        }
        for n in range(count)
    ]  # fmt: skip
    with engine.begin() as connection:
        connection.execute(EVENT_0008.insert(), rows)


def test_upgrade_chains_the_stored_events_in_id_order(db_engine: Engine) -> None:
    downgrade(db_engine, "0008")
    insert_0008_events(db_engine, 5)

    upgrade(db_engine)

    report = verify_chain(db_engine)
    with db_engine.connect() as connection:
        hashes = connection.execute(text("SELECT hash FROM audit_event ORDER BY id")).scalars()
        head = list(hashes)[-1]
    assert (report.events, report.broken, report.head_hash) == (5, None, head)


def test_the_first_event_after_the_upgrade_chains_onto_the_backfilled_head(
    db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    downgrade(db_engine, "0008")
    insert_0008_events(db_engine, 2)
    upgrade(db_engine)

    with sessions.begin() as session:
        record_event(
            session, actor="ana", action="acknowledge", target=("cost_anomaly", 1), before=None,
            after=None, detail={}, now=T0 + timedelta(days=1),
        )  # fmt: skip

    report = verify_chain(db_engine)
    assert (report.events, report.broken) == (3, None)


def test_an_empty_trail_upgrades_to_an_empty_whole_chain(db_engine: Engine) -> None:
    downgrade(db_engine, "0008")

    upgrade(db_engine)

    report = verify_chain(db_engine)
    assert (report.events, report.broken) == (0, None)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_guards_come_with_0009_and_go_with_its_downgrade(db_engine: Engine) -> None:
    at_head = _sqlite_triggers(db_engine)

    downgrade(db_engine, "0008")
    at_0008 = _sqlite_triggers(db_engine)
    upgrade(db_engine)

    assert (at_head, at_0008) == ({"audit_event_no_update", "audit_event_no_delete"}, set())


def _sqlite_triggers(engine: Engine) -> set[str]:
    query = text(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event'"
    )
    with engine.connect() as connection:
        return set(connection.scalars(query))
