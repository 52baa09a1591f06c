"""Throwaway databases for the benches: a SQLite file, a PostgreSQL server, a database on it."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text


@contextmanager
def sqlite_url(prefix: str = "tightrope-bench-") -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        yield f"sqlite:///{directory}/bench.db"


@contextmanager
def postgres_server(given: str | None, *, required: bool = False) -> Iterator[str | None]:
    """A server URL: `given` as is, None for None/"none", or a throwaway cluster for "auto".

    "auto" without PostgreSQL binaries yields None (the bench skips PostgreSQL), or exits when
    the bench cannot run without it (`required`).
    """
    if given is None or given == "none":
        yield None
        return
    if given != "auto":
        yield given
        return
    from tests.support.postgres import postgres_bin_dir, throwaway_cluster

    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        if required:
            raise SystemExit("no PostgreSQL binaries for --postgres auto")
        print("(no PostgreSQL binaries: PostgreSQL skipped)")
        yield None
        return
    with throwaway_cluster(bin_dir) as url:
        yield url


@contextmanager
def scratch_database(server_url: str, prefix: str = "tightrope_bench") -> Iterator[str]:
    """A new database on `server_url`, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    _admin(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield f"{server_url}/{name}"
    finally:
        _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(server_url: str, statement: str) -> None:
    admin = create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(statement))
    admin.dispose()
