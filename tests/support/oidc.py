"""A real OIDC provider process (oidc-provider-mock) and the dashboard logging in through it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.support.postgres import free_port
from tests.support.processes import stop, wait_until_ready
from tests.support.streamlit_server import streamlit_server

CLIENT_ID = "tightrope-test"
COOKIE_SECRET = "a-test-cookie-secret-of-32-chars-or-more"


class ProviderError(RuntimeError):
    """The OIDC provider process exited or never answered its discovery document."""


@contextmanager
def oidc_provider(users: Sequence[Mapping[str, Any]], *, log_path: Path) -> Iterator[str]:
    """`python -m oidc_provider_mock` on a free loopback port with `users` (claims, each with
    "sub") offered as one-click logins; yields its issuer URL; stops it on exit."""
    port = free_port()
    command = [sys.executable, "-m", "oidc_provider_mock", "--port", str(port)]
    for user in users:
        command += ["--user-claims", json.dumps(dict(user))]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            issuer = f"http://127.0.0.1:{port}"
            wait_until_ready(
                process, f"{issuer}/.well-known/openid-configuration",
                ready=lambda response: response.status == 200,
                name="oidc-provider-mock", timeout_s=30, log_path=log_path, error=ProviderError,
            )  # fmt: skip
            yield issuer
        finally:
            stop(process)


def login_env(issuer: str, port: int, role_map: Mapping[str, str]) -> dict[str, str]:
    """TIGHTROPE_* settings that turn login on against `issuer` for a dashboard on `port`."""
    return {
        "TIGHTROPE_AUTH": "oidc",
        "TIGHTROPE_OIDC_ISSUER_URL": issuer,
        "TIGHTROPE_OIDC_CLIENT_ID": CLIENT_ID,
        "TIGHTROPE_OIDC_CLIENT_SECRET": "test-client-secret",
        "TIGHTROPE_OIDC_REDIRECT_URI": f"http://127.0.0.1:{port}/oauth2callback",
        "TIGHTROPE_OIDC_ROLE_MAP": json.dumps(dict(role_map)),
        "TIGHTROPE_AUTH_COOKIE_SECRET": COOKIE_SECRET,
    }


@contextmanager
def dashboard_with_login(
    database_url: str,
    *,
    issuer: str,
    role_map: Mapping[str, str],
    now: datetime,
    log_path: Path,
) -> Iterator[str]:
    """The dashboard (the launcher, as `make run` starts it) with login on against `issuer`;
    yields its base URL; stops it on exit."""
    with streamlit_server(
        database_url,
        now=now,
        log_path=log_path,
        env_for_port=lambda port: login_env(issuer, port, role_map),
    ) as base_url:
        yield base_url
