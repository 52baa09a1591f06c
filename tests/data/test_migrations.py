"""Migrations: `upgrade head` builds exactly the models' schema, and downgrades cleanly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from data.migrate import downgrade, upgrade
from data.models import Base


def test_upgrade_head_matches_the_models(db_engine: Engine) -> None:
    with db_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)

    assert differences == []


def test_downgrade_to_base_and_back_restores_every_table(db_engine: Engine) -> None:
    downgrade(db_engine, "base")
    emptied = set(inspect(db_engine).get_table_names()) - {"alembic_version"}

    upgrade(db_engine)

    assert emptied == set()
    assert set(Base.metadata.tables) <= set(inspect(db_engine).get_table_names())


APPEND_ONLY_TRIGGERS = {"audit_event_append_only", "audit_event_no_truncate"}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_0002_adds_and_removes_the_append_only_triggers(db_engine: Engine) -> None:
    at_head = _audit_triggers(db_engine)

    downgrade(db_engine, "0001")
    at_0001 = _audit_triggers(db_engine)
    upgrade(db_engine)

    assert (at_head, at_0001) == (APPEND_ONLY_TRIGGERS, set())
    assert _audit_triggers(db_engine) == APPEND_ONLY_TRIGGERS


def _audit_triggers(engine: Engine) -> set[str]:
    query = text(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_event'::regclass AND NOT tgisinternal"
    )
    with engine.connect() as connection:
        return set(connection.scalars(query))
