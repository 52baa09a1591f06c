"""A real `streamlit run` of the dashboard on a free loopback port, for browser tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.postgres import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = "dashboard/streamlit_app.py"


class ServerError(RuntimeError):
    """The dashboard process exited or never became healthy."""


@contextmanager
def streamlit_server(
    database_url: str, *, log_path: Path, timeout_s: float = 60.0
) -> Iterator[str]:
    """Start the dashboard against `database_url`; yields its base URL; stops it on exit."""
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", APP,
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    env = {**os.environ, "TIGHTROPE_DATABASE_URL": database_url}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_healthy(process, f"{base_url}/_stcore/health", timeout_s, log_path)
            yield base_url
        finally:
            _stop(process)


def _wait_healthy(
    process: subprocess.Popen[bytes], health_url: str, timeout_s: float, log_path: Path
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"streamlit exited with {process.returncode}:\n{_tail(log_path)}")
        try:
            with urllib.request.urlopen(health_url, timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise ServerError(f"streamlit not healthy after {timeout_s:.0f} s:\n{_tail(log_path)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
