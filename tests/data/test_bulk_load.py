"""A bulk load leaves the schema as it found it, committed or rolled back (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from data.db import make_engine, make_sessions
from data.migrate import upgrade
from data.repos.bulk import bulk_load
from data.repos.costs import COST_TABLE
from data.repos.services import NewService, add_services
from data.repos.usage import USAGE_TABLE
from data.settings import Settings
from engine.service import Sla


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


def _constraints(engine: Engine) -> dict[str, tuple[object, ...]]:
    """Indexes and foreign keys of the bulk-loaded tables, as the database reports them."""
    inspector = inspect(engine)
    return {
        table: (
            sorted(str(ix) for ix in inspector.get_indexes(table)),
            sorted(str(fk) for fk in inspector.get_foreign_keys(table)),
            str(inspector.get_pk_constraint(table)),
        )
        for table in ("usage_hourly", "cost_daily")
    }


def test_both_backends_get_the_same_indexes_and_foreign_keys_back(db_engine: Engine) -> None:
    before = _constraints(db_engine)
    with db_engine.begin() as connection:
        _write_something(connection)
        with bulk_load(connection, [USAGE_TABLE, COST_TABLE]):
            during = inspect(connection).get_indexes("usage_hourly")
            assert "ix_usage_hourly_hour_start" not in {ix["name"] for ix in during}
            if connection.dialect.name == "postgresql":  # SQLite's keys live in the table
                assert inspect(connection).get_foreign_keys("usage_hourly") == []
                assert not inspect(connection).get_pk_constraint("usage_hourly")["name"]

    assert _constraints(db_engine) == before
    with pytest.raises(RuntimeError, match="the load failed"):
        _failing_load(db_engine)
    assert _constraints(db_engine) == before


# SQLite keeps its foreign keys through the load: only PostgreSQL's are dropped and made again.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_row_breaking_a_foreign_key_still_fails_the_load(db_engine: Engine) -> None:
    orphan = "INSERT INTO usage_hourly (service_id, hour_start, cpu_used_mean_cores, "
    orphan += "cpu_used_p95_cores, memory_used_max_gib, source) "
    orphan += "VALUES (999999, '2026-01-01T00:00:00Z', 1, 1, 1, 'demo')"
    with (
        pytest.raises(IntegrityError, match="fk_usage_hourly_service_id_service"),
        db_engine.begin() as connection,
        bulk_load(connection, [USAGE_TABLE]),
    ):
        connection.exec_driver_sql(orphan)

    with db_engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM usage_hourly").scalar() == 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_row_repeating_a_primary_key_still_fails_the_load(db_engine: Engine) -> None:
    sla = Sla(latency_p95_target_ms=250.0, availability_target_pct=99.9, max_error_rate_pct=1.0)
    draft = NewService(
        slug="s", name="s", team="t", owner="o@example.com", environment="prod", platform="vm",
        provider="aws", region="us-east-1", policy_class="standard", sla=sla,
    )  # fmt: skip
    with make_sessions(db_engine).begin() as session:
        (added,) = add_services(session, [draft], now=datetime(2026, 1, 1, tzinfo=UTC))
        service_id = added.id
    row = "INSERT INTO usage_hourly (service_id, hour_start, cpu_used_mean_cores, "
    row += "cpu_used_p95_cores, memory_used_max_gib, source) "
    row += f"VALUES ({service_id}, '2026-01-01T00:00:00Z', 1, 1, 1, 'demo')"
    with pytest.raises(IntegrityError, match="pk_usage_hourly"):
        _twice(db_engine, row)

    with db_engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM usage_hourly").scalar() == 0


def _twice(engine: Engine, statement: str) -> None:
    with engine.begin() as connection, bulk_load(connection, [USAGE_TABLE]):
        connection.exec_driver_sql(statement)
        connection.exec_driver_sql(statement)  # accepted while the key is away
