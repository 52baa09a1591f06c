"""Test servers run as child processes: wait until they answer, stop them, quote their log."""

from __future__ import annotations

import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from http.client import HTTPResponse
from pathlib import Path


def wait_until_ready(
    process: subprocess.Popen[bytes],
    url: str,
    *,
    ready: Callable[[HTTPResponse], bool],
    name: str,
    timeout_s: float,
    log_path: Path,
    error: type[RuntimeError],
    context: ssl.SSLContext | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Poll `url` until `ready(response)`; `error` with the log's tail if the process exits
    first or the deadline passes. `context` and `headers`: for a server behind TLS and auth."""
    deadline = time.monotonic() + timeout_s
    request = urllib.request.Request(url, headers=dict(headers or {}))
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise error(f"{name} exited with {process.returncode}:\n{tail(log_path)}")
        try:
            with urllib.request.urlopen(request, timeout=2, context=context) as response:
                if ready(response):
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise error(f"{name} not ready after {timeout_s:.0f} s:\n{tail(log_path)}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
