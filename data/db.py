"""Engine and session factory: the only module that turns a URL into connections."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from data.settings import Settings


def make_engine(settings: Settings) -> Engine:
    """Create the SQLAlchemy engine; SQLite gets foreign keys, WAL and a busy timeout."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        _ensure_sqlite_directory(url.database)
        engine = create_engine(
            url, echo=settings.database_echo, connect_args={"timeout": 30}, future=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, echo=settings.database_echo, pool_pre_ping=True)


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    """One session factory per process; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def _ensure_sqlite_directory(database: str | None) -> None:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless asked on every connection; WAL lets the dashboard
    # read while the sidecar writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
