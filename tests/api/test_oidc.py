"""OIDC bearer tokens against a real provider (oidc-provider-mock): JWKS-verified, roles from
the dashboard's claim mapping, writes audited with the login's stable actor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from data.settings import Settings
from tests.data.workflow.world import add_open_rec, audit_rows, denials
from tests.support.api_server import serving
from tests.support.oidc import CLIENT_ID, COOKIE_SECRET, oidc_provider

REDIRECT = "http://127.0.0.1:9/oauth2callback"
USERS = [
    {"sub": "ana", "email": "ana@example.com", "groups": ["finops-approvers"]},
    {"sub": "vera", "email": "vera@example.com", "groups": ["everyone"]},
]


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[str]:
    with oidc_provider(USERS, log_path=tmp_path / "oidc.log") as url:
        yield url


@pytest.fixture
def oidc_api(issuer: str, database_url: str, sessions: sessionmaker[Session]) -> Iterator[str]:
    settings = Settings(
        database_url=database_url, auth="oidc", oidc_issuer_url=issuer, oidc_client_id=CLIENT_ID,
        oidc_client_secret="test-client-secret", oidc_redirect_uri=REDIRECT,
        oidc_role_map={"finops-approvers": "approver"}, auth_cookie_secret=COOKIE_SECRET,
        _env_file=None,
    )  # fmt: skip
    with serving(create_app(settings, sessions)) as base_url:
        yield base_url


def id_token(issuer: str, subject: str) -> str:
    """Log `subject` in at the provider (its one-click form, as a browser would) for an ID token."""
    config = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    params = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code",
              "scope": "openid email profile", "state": "s", "nonce": "n"}  # fmt: skip
    consent = httpx.post(config["authorization_endpoint"], params=params, data={"sub": subject})
    code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
    tokens = httpx.post(config["token_endpoint"], data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "client_id": CLIENT_ID, "client_secret": "test-client-secret",
    })  # fmt: skip
    token: str = tokens.json()["id_token"]
    return token


def test_an_approvers_token_applies_and_the_audit_names_the_login(
    issuer: str, oidc_api: str, sessions: sessionmaker[Session]
) -> None:
    rec = add_open_rec(sessions)
    token = id_token(issuer, "ana")

    answer = httpx.post(
        f"{oidc_api}/v1/recommendations/{rec.id}/apply",
        headers={"Authorization": f"Bearer {token}", "If-Match": f'"{rec.id}-{rec.version}"'},
    )

    assert answer.status_code == 200, answer.text
    applied = [e for e in audit_rows(sessions) if e.action == "apply"]
    assert [e.actor for e in applied] == [f"{issuer}|ana"]


def test_a_token_whose_groups_map_to_nothing_is_a_viewer(
    issuer: str, oidc_api: str, sessions: sessionmaker[Session]
) -> None:
    rec = add_open_rec(sessions)
    headers = {"Authorization": f"Bearer {id_token(issuer, 'vera')}"}

    read = httpx.get(f"{oidc_api}/v1/recommendations/{rec.id}", headers=headers)
    write = httpx.post(
        f"{oidc_api}/v1/recommendations/{rec.id}/apply",
        headers={**headers, "If-Match": read.headers["etag"]},
    )

    assert read.status_code == 200
    assert write.status_code == 403
    assert [d[0] for d in denials(sessions)] == [f"{issuer}|vera"]


def test_a_tampered_or_foreign_token_gets_401(issuer: str, oidc_api: str) -> None:
    token = id_token(issuer, "ana")
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"

    answers = [
        httpx.get(f"{oidc_api}/v1/services", headers={"Authorization": f"Bearer {t}"})
        for t in (forged, "not.a.jwt", token + "x")
    ]

    assert [a.status_code for a in answers] == [401, 401, 401]
    assert all(a.headers["www-authenticate"].startswith("Bearer") for a in answers)
