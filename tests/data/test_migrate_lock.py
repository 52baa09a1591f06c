"""`python -m data migrate` started several times at once on an empty database migrates once.

The test holds the migration lock itself until every process waits on it, then lets go: the
processes then contend at the same instant (left to start-up jitter they would not, and the
test could not fail). Without the lock no process would wait, and the test fails there."""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from data.migrate import MIGRATION_LOCK_KEY, alembic_config, sqlite_lock_path
from tests.support.databases import data_command, empty_database, url_as

STARTS = 3
WAIT_S = 120.0


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: str = request.getfixturevalue("postgres_server_url")
    with empty_database(server) as database:
        yield url_as(server, database)


def test_concurrent_migrations_run_once_and_all_succeed(empty_url: str) -> None:
    held, waiters = _lock_and_waiters(empty_url)
    with held:
        starts = [data_command("migrate", env={"TIGHTROPE_DATABASE_URL": empty_url})
                  for _ in range(STARTS)]  # fmt: skip
        _wait_until(lambda: waiters() == STARTS, starts)

    outcomes = [(p.communicate(timeout=300)[1], p.returncode) for p in starts]

    assert [code for _, code in outcomes] == [0] * STARTS, [log for log, _ in outcomes]
    migrated = [log for log, _ in outcomes if "migrated the schema from None to" in log]
    assert len(migrated) == 1, [log for log, _ in outcomes]
    assert _versions(empty_url) == [_head()]


def _lock_and_waiters(url: str) -> tuple[AbstractContextManager[None], Callable[[], int]]:
    """The migration lock, held as a migrator would hold it, and a count of those waiting."""
    if url.startswith("sqlite"):
        path = sqlite_lock_path(make_url(url).database)
        return _file_locked(path), lambda: _flock_waiters(path)
    engine = create_engine(url)
    return _advisory_locked(engine), lambda: _advisory_waiters(engine)


@contextmanager
def _file_locked(path: Path) -> Iterator[None]:
    with path.open("a+b") as lock_file:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
        yield


def _flock_waiters(path: Path) -> int:
    """Processes blocked on the file's flock, from /proc/locks ("N: -> FLOCK ... dev:inode")."""
    inode = str(os.stat(path).st_ino)
    lines = Path("/proc/locks").read_text().splitlines()
    waiting = [line.split() for line in lines if " -> FLOCK " in line]
    return sum(1 for fields in waiting if fields[6].rsplit(":", 1)[-1] == inode)


@contextmanager
def _advisory_locked(engine: Engine) -> Iterator[None]:
    with engine.connect() as connection:
        connection.execute(select(func.pg_advisory_lock(MIGRATION_LOCK_KEY)))
        connection.commit()
        yield
        connection.execute(select(func.pg_advisory_unlock(MIGRATION_LOCK_KEY)))
        connection.commit()
    engine.dispose()


def _advisory_waiters(engine: Engine) -> int:
    query = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    with engine.connect() as connection:
        return int(connection.scalar(query))


def _wait_until(condition: Callable[[], bool], processes: list[subprocess.Popen[str]]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        exited = [p for p in processes if p.poll() is not None]
        if exited:
            pytest.fail(f"a migrate did not wait for the lock: {exited[0].communicate()[1]}")
        if time.monotonic() > deadline:
            pytest.fail(f"the migrates were not all waiting for the lock after {WAIT_S:.0f} s")
        time.sleep(0.05)


def _versions(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        versions = list(connection.scalars(text("SELECT version_num FROM alembic_version")))
    engine.dispose()
    return versions


def _head() -> str:
    head = ScriptDirectory.from_config(
        alembic_config(create_engine("sqlite://"))
    ).get_current_head()
    assert head is not None
    return head
