"""A real `streamlit run` of the dashboard on a free loopback port, for browser tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from tests.support.postgres import free_port
from tests.support.processes import stop, wait_until_ready

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = "dashboard/streamlit_app.py"


class ServerError(RuntimeError):
    """The dashboard process exited or never became healthy."""


@contextmanager
def streamlit_server(
    database_url: str, *, now: datetime, log_path: Path, timeout_s: float = 60.0
) -> Iterator[str]:
    """Start the dashboard against `database_url` with its clock stopped at `now` (so what it
    shows does not depend on the machine's calendar); yields its base URL; stops it on exit."""
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", APP,
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    env = {
        **os.environ,
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
