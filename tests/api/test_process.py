"""`python -m api` is its own process: it serves on TIGHTROPE_API_HOST:PORT and stops on SIGTERM;
`python -m api keys` creates, lists and revokes keys as the configured local actor."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 90.0


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIGHTROPE_")}
    env.update(TIGHTROPE_DATABASE_URL=database_url, **extra)
    return env


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api", *args], capture_output=True, text=True, cwd=ROOT,
        env=_env(database_url), timeout=120, check=False,
    )  # fmt: skip


def test_the_process_serves_with_a_key_made_by_the_cli(database_url: str) -> None:
    created = _cli(database_url, "keys", "create", "ci-bot", "--role", "analyst")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "api"], cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
        env=_env(database_url, TIGHTROPE_API_HOST="127.0.0.1", TIGHTROPE_API_PORT=str(port)),
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, server)
        answer = httpx.get(f"{base}/v1/services", headers={"Authorization": f"Bearer {secret}"})
        assert answer.status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        _, log = server.communicate(timeout=60)
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status tells it
    assert server.returncode in (0, -signal.SIGTERM)
    assert "Finished server process" in log

    listed = _cli(database_url, "keys", "list").stdout
    assert "ci-bot" in listed
    assert "analyst" in listed
    assert "last used never" not in listed
    assert secret not in listed
    assert _cli(database_url, "keys", "revoke", "ci-bot").returncode == 0
    again = _cli(database_url, "keys", "revoke", "ci-bot")
    assert again.returncode == 1
    assert "already revoked" in again.stderr


def _wait_ready(base: str, server: subprocess.Popen[str]) -> None:
    done = threading.Event()
    timer = threading.Timer(READY_TIMEOUT_S, done.set)
    timer.start()
    try:
        while not done.is_set():
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            try:
                if httpx.get(f"{base}/readyz", timeout=5.0).status_code == 200:
                    return
            except httpx.TransportError:
                done.wait(0.1)
        raise AssertionError(f"python -m api was not ready within {READY_TIMEOUT_S} s")
    finally:
        timer.cancel()
