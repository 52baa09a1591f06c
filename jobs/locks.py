"""One runner per job, one sidecar per database: PostgreSQL advisory locks, SQLite flocks."""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select

SIDECAR_LOCK = "sidecar"


def lock_key(job: str) -> int:
    """A stable signed 64-bit key per job name (advisory locks take a bigint)."""
    return _key(f"tightrope.job.{job}")


def _key(name: str) -> int:
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


SIDECAR_KEY = _key("tightrope.sidecar")  # outside the job namespace: no job name can collide


@contextmanager
def exclusive(engine: Engine, job: str) -> Iterator[bool]:
    """Yield True when this process may run `job` now, False when another process holds it.

    PostgreSQL: pg_try_advisory_lock on a connection kept open for the run (session-level, so
    a crashed sidecar releases it when its connection drops). SQLite: an exclusive flock on a
    file beside the database (the kernel releases it when the process dies).
    """
    with _held(engine, lock_key(job), f"job.{job}") as taken:
        yield taken


@contextmanager
def sidecar_lock(engine: Engine) -> Iterator[bool]:
    """Yield True when no other sidecar serves this database; hold it until the block ends.

    Only the holder claims Run-now requests and closes runs left "running" by a dead sidecar,
    so a second sidecar must not start (on SQLite two would also both run every job)."""
    with _held(engine, SIDECAR_KEY, SIDECAR_LOCK) as taken:
        yield taken


@contextmanager
def _held(engine: Engine, key: int, name: str) -> Iterator[bool]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection, _advisory(connection, key) as taken:
            yield taken
        return
    path = lock_path(engine, name)
    if path is None:  # an in-memory database lives in one process: nobody to exclude
        yield True
        return
    with _flock(path) as taken:
        yield taken


def lock_path(engine: Engine, name: str) -> Path | None:
    """`<database file>.<name>.lock`, None for an in-memory SQLite database."""
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    return Path(f"{database}.{name}.lock")


@contextmanager
def _advisory(connection: Connection, key: int) -> Iterator[bool]:
    taken = bool(connection.execute(select(func.pg_try_advisory_lock(key))).scalar())
    try:
        yield taken
    finally:
        if taken:
            connection.execute(select(func.pg_advisory_unlock(key)))
            connection.commit()


@contextmanager
def _flock(path: Path) -> Iterator[bool]:
    # The file stays (deleting it would race a process that just opened it); only the lock
    # on the open descriptor matters, and closing the descriptor releases it.
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(descriptor)
