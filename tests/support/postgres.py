"""A throwaway PostgreSQL cluster started from the installed binaries (as root via runuser)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def postgres_bin_dir() -> Path | None:
    """Newest /usr/lib/postgresql/N/bin that has initdb, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major, reverse=True)
    return Path(found[0]).parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def throwaway_cluster(bin_dir: Path) -> Iterator[str]:
    """Start a private cluster on a free loopback port; yields the server URL without a db."""
    base = Path(tempfile.mkdtemp(prefix="tightrope-pg-", dir="/tmp"))
    port = free_port()
    _as_postgres_owner(base)
    run = _runner()
    run([str(bin_dir / "initdb"), "-D", f"{base}/data", "-U", "postgres", "-A", "trust",
         "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])  # fmt: skip
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off"
    )
    run([str(bin_dir / "pg_ctl"), "-D", f"{base}/data", "-l", f"{base}/server.log", "-w",
         "-t", "60", "-o", options, "start"])  # fmt: skip
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}"
    finally:
        run([str(bin_dir / "pg_ctl"), "-D", f"{base}/data", "-m", "immediate", "-w", "stop"])
        shutil.rmtree(base, ignore_errors=True)


def _runner() -> Callable[[list[str]], None]:
    # initdb and postgres refuse to run as root; as root we drop to the postgres user.
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def run(args: list[str]) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    return run


def _as_postgres_owner(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, user="postgres", group="postgres")


def _major(path: str) -> int:
    try:
        return int(Path(path).parent.parent.name)
    except ValueError:
        return 0
