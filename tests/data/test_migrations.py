"""Migrations: `upgrade head` builds exactly the models' schema, and downgrades cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

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
