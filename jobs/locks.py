"""One runner per job across sidecars: a PostgreSQL advisory lock held for the run."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, func, select


def lock_key(job: str) -> int:
    """A stable signed 64-bit key per job name (advisory locks take a bigint)."""
    digest = hashlib.sha256(f"tightrope.job.{job}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def exclusive(engine: Engine, job: str) -> Iterator[bool]:
    """Yield True when this process may run `job` now, False when another sidecar holds it.

    PostgreSQL: pg_try_advisory_lock on a connection kept open for the run (session-level, so
    a crashed sidecar releases it when its connection drops). SQLite serves one process (the
    demo), so it always yields True.
    """
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = lock_key(job)
    with engine.connect() as connection:
        taken = bool(connection.execute(select(func.pg_try_advisory_lock(key))).scalar())
        try:
            yield taken
        finally:
            if taken:
                connection.execute(select(func.pg_advisory_unlock(key)))
                connection.commit()
