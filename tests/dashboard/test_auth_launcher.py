"""Login settings validate as a whole; the launcher refuses unsafe starts and writes [auth]."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from dashboard.__main__ import EXIT_REFUSED, write_secrets
from data.settings import Settings
from tests.dashboard.conftest import REPO_ROOT

OIDC: dict[str, Any] = {
    "auth": "oidc",
    "oidc_issuer_url": "https://idp.example.com/realms/acme/",
    "oidc_client_id": "tightrope",
    "oidc_client_secret": "s3cret-client",
    "oidc_redirect_uri": "https://tightrope.example.com/oauth2callback",
    "auth_cookie_secret": "x" * 32,
}


@pytest.mark.parametrize(
    "missing",
    [
        "oidc_issuer_url",
        "oidc_client_id",
        "oidc_client_secret",
        "oidc_redirect_uri",
        "auth_cookie_secret",
    ],
)
def test_login_on_needs_every_provider_setting(missing: str) -> None:
    values = {k: v for k, v in OIDC.items() if k != missing}

    with pytest.raises(ValidationError, match=f"TIGHTROPE_{missing.upper()}"):
        Settings(_env_file=None, **values)


def test_a_short_cookie_secret_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValidationError, match="at least 32 characters") as refused:
        Settings(_env_file=None, **{**OIDC, "auth_cookie_secret": "tooshort-hunter2"})

    assert "hunter2" not in str(refused.value)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("oidc_redirect_uri", "https://tightrope.example.com/", "/oauth2callback"),
        ("oidc_issuer_url", "http://idp.example.com", "https"),
        ("oidc_scopes", "email profile", "openid"),
    ],
)
def test_provider_settings_are_checked(field: str, value: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None, **{**OIDC, field: value})


def test_the_role_map_comes_from_json_and_names_known_roles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TIGHTROPE_OIDC_ROLE_MAP", '{"finops-approvers": "approver"}')
    assert Settings(_env_file=None).oidc_role_map == {"finops-approvers": "approver"}

    monkeypatch.setenv("TIGHTROPE_OIDC_ROLE_MAP", '{"finops-approvers": "root"}')
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


def test_secrets_file_is_private_and_holds_the_auth_section(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, **OIDC)

    path = write_secrets(settings, tmp_path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    auth = tomllib.loads(path.read_text())["auth"]
    assert auth["server_metadata_url"] == (
        "https://idp.example.com/realms/acme/.well-known/openid-configuration"
    )
    assert (auth["client_id"], auth["client_secret"]) == ("tightrope", "s3cret-client")
    assert auth["cookie_secret"] == "x" * 32
    assert auth["redirect_uri"] == "https://tightrope.example.com/oauth2callback"
    assert auth["client_kwargs"] == {"scope": "openid email profile", "prompt": "select_account"}


def _launch(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TIGHTROPE_", "STREAMLIT_"))}
    return subprocess.run(
        [sys.executable, "-m", "dashboard", *args],
        cwd=REPO_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("--server.address", "0.0.0.0"), {}),
        (("--server.address=192.0.2.10",), {}),
        ((), {"STREAMLIT_SERVER_ADDRESS": "0.0.0.0"}),
    ],
)
def test_the_launcher_refuses_a_non_loopback_address_without_login(
    args: tuple[str, ...], env: dict[str, str]
) -> None:
    started = _launch(*args, **env)

    assert started.returncode == EXIT_REFUSED
    assert "Refusing to serve without login" in started.stderr
    assert "TIGHTROPE_AUTH=none" in started.stderr


def test_the_launcher_refuses_half_configured_login() -> None:
    started = _launch(TIGHTROPE_AUTH="oidc", TIGHTROPE_OIDC_CLIENT_SECRET="hunter2-secret")

    assert started.returncode == EXIT_REFUSED
    assert "TIGHTROPE_OIDC_ISSUER_URL" in started.stderr
    assert "hunter2" not in started.stderr
