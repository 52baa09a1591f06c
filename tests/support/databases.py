"""Empty PostgreSQL databases and login roles made for one test, and `python -m data` runs."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]


def admin_execute(server_url: str, *statements: str) -> None:
    """Run statements as the server's superuser, outside a transaction (CREATE DATABASE)."""
    admin = create_engine(make_url(f"{server_url}/postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for statement in statements:
            connection.execute(text(statement))
    admin.dispose()


def url_as(server_url: str, database: str, user: str | None = None) -> str:
    """The server's URL for `database`, as `user` (the superuser when None)."""
    url = make_url(f"{server_url}/{database}")
    if user is not None:
        url = url.set(username=user)
    return url.render_as_string(hide_password=False)


@contextmanager
def login_roles(server_url: str, *prefixes: str) -> Iterator[list[str]]:
    """Fresh LOGIN roles (roles are cluster-wide: unique names, dropped afterwards)."""
    names = [f"{prefix}_{uuid.uuid4().hex[:8]}" for prefix in prefixes]
    admin_execute(server_url, *(f'CREATE ROLE "{name}" LOGIN' for name in names))
    try:
        yield names
    finally:
        admin_execute(server_url, *(f'DROP ROLE IF EXISTS "{name}"' for name in names))


@contextmanager
def empty_database(server_url: str, owner: str = "postgres") -> Iterator[str]:
    """A new database owned by `owner`, dropped (with its connections) afterwards."""
    name = f"tightrope_e_{uuid.uuid4().hex[:10]}"
    admin_execute(server_url, f'CREATE DATABASE "{name}" OWNER "{owner}"')
    try:
        yield name
    finally:
        admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def data_command(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start `python -m data ARGS` with TIGHTROPE_* from `env` (no .env file is read)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TIGHTROPE_")}
    return subprocess.Popen(
        [sys.executable, "-m", "data", *args],
        cwd=ROOT, env={**clean, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
