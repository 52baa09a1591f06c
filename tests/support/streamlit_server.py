"""The dashboard as `make run` starts it (`python -m dashboard`, the launcher) on a free loopback
port, for browser tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from tests.support.postgres import free_port
from tests.support.processes import stop, wait_until_ready

REPO_ROOT = Path(__file__).resolve().parents[2]


class ServerError(RuntimeError):
    """The dashboard process exited or never became healthy."""


@contextmanager
def streamlit_server(
    database_url: str,
    *,
    now: datetime,
    log_path: Path,
    timeout_s: float = 60.0,
    env_for_port: Callable[[int], Mapping[str, str]] | None = None,
) -> Iterator[str]:
    """Start the dashboard against `database_url` with its clock stopped at `now` (so what it
    shows does not depend on the machine's calendar); yields its base URL; stops it on exit.

    `env_for_port(port)` adds settings that depend on the port (login's redirect URI).
    """
    port = free_port()
    command = [
        sys.executable, "-m", "dashboard",
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    env = {
        **os.environ,
        **(env_for_port(port) if env_for_port else {}),
        "TIGHTROPE_DATABASE_URL": database_url,
        "TIGHTROPE_CLOCK_FIXED_AT": now.isoformat(),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_ready(
                process, f"{base_url}/_stcore/health",
                ready=lambda response: response.read().strip() == b"ok",
                name="streamlit", timeout_s=timeout_s, log_path=log_path, error=ServerError,
            )  # fmt: skip
            yield base_url
        finally:
            stop(process)
