"""Run Alembic migrations programmatically, one migrator at a time (CLI, make run, tests)."""

from __future__ import annotations

import fcntl
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, func, select, text

from data.db import make_engine
from data.errors import DataError
from data.settings import Settings

log = logging.getLogger(__name__)

_ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"
# pg_advisory_xact_lock key of "a migration is running", derived like jobs/locks.py's keys.
MIGRATION_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"tightrope.migrate").digest()[:8], "big", signed=True
)
_POSTGRES_ONLY = "an app role exists on PostgreSQL only: unset TIGHTROPE_DATABASE_APP_ROLE"


@dataclass(frozen=True, slots=True)
class Migrated:
    """The schema revision found under the lock, and the one left."""

    from_revision: str | None
    to_revision: str | None


def migration_settings(settings: Settings) -> Settings:
    """The settings to migrate with: the owner role's URL (TIGHTROPE_MIGRATE_DATABASE_URL)
    where one is set, else the app's own (SQLite, a single-role PostgreSQL)."""
    if settings.migrate_database_url is None:
        return settings
    return settings.model_copy(update={"database_url": settings.migrate_database_url})


def migrate_to_head(settings: Settings) -> Migrated:
    """`python -m data migrate`: upgrade as the owner role, then grant the app role its
    privileges (TIGHTROPE_DATABASE_APP_ROLE) in the same transaction."""
    engine = make_engine(migration_settings(settings))
    try:
        migrated = upgrade(engine, app_role=settings.database_app_role)
    finally:
        engine.dispose()
    if migrated.from_revision == migrated.to_revision:
        log.info("database schema already at %s: nothing to migrate", migrated.to_revision)
    else:
        log.info("migrated the schema from %s to %s", migrated.from_revision, migrated.to_revision)
    return migrated


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to an existing engine rather than to a URL in a file."""
    config = Config(str(_ALEMBIC_INI))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head", *, app_role: str | None = None) -> Migrated:
    """Bring the schema to `revision` inside one transaction, holding the migration lock, so
    that replicas starting at once migrate once and the others find the schema done."""
    if app_role is not None and engine.dialect.name != "postgresql":
        raise DataError(_POSTGRES_ONLY)
    config = alembic_config(engine)
    with _migration_lock(engine) as connection:
        found = _current_revision(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        if app_role is not None:
            grant_app_role(connection, app_role)
        return Migrated(found, _current_revision(connection))


def downgrade(engine: Engine, revision: str) -> None:
    """Step the schema back to `revision` (used by the migration round-trip test)."""
    config = alembic_config(engine)
    with _migration_lock(engine) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def grant_app_role(connection: Connection, role: str) -> None:
    """Give the app's PostgreSQL role what it needs and no more: SELECT/INSERT/UPDATE/DELETE
    on every table but SELECT/INSERT only on audit_event and SELECT on alembic_version, the
    sequences behind the ids, and no DDL (it owns nothing, so it cannot ALTER, DROP or
    disable a trigger). Run after every upgrade, so tables added later are covered."""
    if connection.dialect.name != "postgresql":
        raise DataError(_POSTGRES_ONLY)
    _refuse_privileged(connection, role)
    schema = connection.scalar(text("SELECT current_schema()"))
    quote = connection.dialect.identifier_preparer.quote
    grantee, where = quote(role), quote(str(schema))
    for statement in (
        f"GRANT USAGE ON SCHEMA {where} TO {grantee}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {where} FROM {grantee}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {where} TO {grantee}",
        f"REVOKE UPDATE, DELETE ON audit_event FROM {grantee}",
        f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {grantee}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {grantee}",
    ):
        connection.execute(text(statement))
    log.info("granted the app role %s its privileges on schema %s", role, schema)


def _refuse_privileged(connection: Connection, role: str) -> None:
    """A role that is a superuser, or that is (or inherits) the owner, bypasses every grant:
    granting it "less" would only look safe."""
    query = text(
        "SELECT rolsuper, pg_has_role(:role, current_user, 'MEMBER') FROM pg_roles "
        "WHERE rolname = :role"
    )
    found = connection.execute(query, {"role": role}).first()
    if found is None:
        raise DataError(f"the app role {role!r} does not exist: CREATE ROLE it first")
    if found[0] or found[1]:
        raise DataError(
            f"the app role {role!r} is a superuser or holds the migrating role: it could "
            "rewrite the audit trail; give the app a role of its own (docs/database.md)"
        )


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the migration lock. PostgreSQL: an advisory lock taken first
    thing in it, released by the commit that makes the new schema visible. SQLite: an
    exclusive lock on a file beside the database, which waits as long as a migration takes
    (the busy timeout of a BEGIN EXCLUSIVE would give up after 30 s)."""
    database = engine.url.database
    on_file = engine.dialect.name == "sqlite" and database not in (None, "", ":memory:")
    with _file_lock(sqlite_lock_path(database) if on_file else None), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
        yield connection


def sqlite_lock_path(database: str | None) -> Path:
    """The file a SQLite database's migrators lock: beside it, in its writable directory."""
    return Path(f"{database}.migrate-lock")


@contextmanager
def _file_lock(path: Path | None) -> Iterator[None]:
    if path is None:
        yield
        return
    with path.open("a+b") as lock_file:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)  # released when the file closes
        yield
