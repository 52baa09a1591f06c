"""A bulk load on SQLite leaves the schema as it found it, committed or rolled back."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text

from data.db import make_engine
from data.migrate import upgrade
from data.repos.bulk import bulk_load
from data.repos.usage import USAGE_TABLE
from data.settings import Settings


def _engine(directory: Path) -> Engine:
    engine = make_engine(Settings(database_url=f"sqlite:///{directory}/b.db", _env_file=None))
    upgrade(engine)
    return engine


def _schema(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL"))
        return sorted((name, sql) for name, sql in rows)


def _write_something(connection: Connection) -> None:
    connection.exec_driver_sql("DELETE FROM usage_hourly")


def _failing_load(engine: Engine) -> None:
    with engine.begin() as connection:
        _write_something(connection)
        with bulk_load(connection, [USAGE_TABLE]):
            raise RuntimeError("the load failed")


def test_indexes_are_dropped_during_the_load_and_built_again_the_same(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    before = _schema(engine)
    with engine.begin() as connection:
        _write_something(connection)  # the driver's transaction has begun
        with bulk_load(connection, [USAGE_TABLE]):
            names = connection.exec_driver_sql("SELECT name FROM sqlite_master").scalars().all()
            assert "ix_usage_hourly_hour_start" not in names
            assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -256 * 1024
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -2000

    assert _schema(engine) == before


def test_a_load_that_fails_rolls_the_dropped_indexes_back(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    before = _schema(engine)

    with pytest.raises(RuntimeError, match="the load failed"):
        _failing_load(engine)

    assert _schema(engine) == before


def test_before_the_transaction_has_written_nothing_is_dropped(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    with engine.begin() as connection, bulk_load(connection, [USAGE_TABLE]):
        names = connection.exec_driver_sql("SELECT name FROM sqlite_master").scalars().all()
        assert "ix_usage_hourly_hour_start" in names  # DDL here would autocommit
