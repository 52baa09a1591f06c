"""Alembic environment: batch mode on SQLite, the URL from Settings or a passed connection."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from data.db import make_engine
from data.migrate import migration_settings
from data.models import Base
from data.settings import Settings


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things in place: batch mode copies the table.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Use the caller's connection when given (tests, make run), else build one from Settings."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(migration_settings(Settings()))
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


run_migrations_online()
