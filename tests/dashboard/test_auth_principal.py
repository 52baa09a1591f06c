"""From ID-token claims to a Principal: role from the group claim, stable actor, maximum age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dashboard.auth import (
    ACTOR_MAX_CHARS,
    admit,
    expired,
    exposure_refusal,
    is_loopback,
    login_from_claims,
    role_from_claims,
    stable_actor,
)
from dashboard.errors import LoginRefused
from data.settings import Role, Settings

ISSUER = "https://idp.example.com/realms/acme"
ISSUED = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
ROLE_MAP: dict[str, Role] = {
    "finops-analysts": "analyst",
    "finops-approvers": "approver",
    "platform-admins": "admin",
}


def _claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "248289761001",
        "email": "ana@example.com",
        "name": "Ana Lima",
        "iat": int(ISSUED.timestamp()),
        "groups": ["finops-analysts"],
    }
    claims.update(overrides)
    return claims


def _settings(**overrides: Any) -> Settings:
    return Settings(_env_file=None, oidc_role_map=ROLE_MAP, **overrides)


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        (["finops-analysts"], "analyst"),
        (["finops-analysts", "platform-admins", "finops-approvers"], "admin"),
        (["finops-approvers", "finops-analysts"], "approver"),
        (["sales"], "viewer"),
        ([], "viewer"),
        (None, "viewer"),
        ("finops-approvers", "approver"),  # one group sent as a string
        ([42, {"x": 1}, "finops-analysts"], "analyst"),  # odd entries are ignored
        (["Finops-Approvers"], "viewer"),  # groups match exactly, case included
        ("finops-approvers,platform-admins", "viewer"),  # one string is one group
        (["approver", "admin"], "viewer"),  # role names are not groups
    ],
)
def test_the_highest_mapped_group_wins_and_unmapped_users_are_viewers(
    groups: Any, role: Role
) -> None:
    assert role_from_claims({"groups": groups}, claim="groups", role_map=ROLE_MAP) == role


def test_a_missing_role_claim_is_logged_and_gives_a_viewer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    role = role_from_claims({"email": "x@example.com"}, claim="groups", role_map=ROLE_MAP)

    assert role == "viewer"
    assert "authz_claim_missing" in caplog.text


def test_the_role_claim_is_configurable() -> None:
    claims = _claims(groups=["sales"], roles=["finops-approvers"])

    login = login_from_claims(claims, _settings(oidc_role_claim="roles"))

    assert login.principal.role == "approver"


def test_the_actor_is_issuer_and_subject_and_people_see_the_email() -> None:
    login = login_from_claims(_claims(), _settings())

    assert login.principal.actor == f"{ISSUER}|248289761001"
    assert login.principal.display == "ana@example.com"
    assert (login.issuer, login.subject, login.issued_at) == (ISSUER, "248289761001", ISSUED)


def test_without_an_email_the_username_then_the_name_then_the_subject_is_shown() -> None:
    no_email = _claims(email=None, preferred_username="ana.lima")

    assert login_from_claims(no_email, _settings()).principal.display == "ana.lima"
    assert login_from_claims(_claims(email=""), _settings()).principal.display == "Ana Lima"
    bare = _claims(email=None, name=None)
    assert login_from_claims(bare, _settings()).principal.display == "248289761001"


def test_an_actor_longer_than_the_audit_column_becomes_a_stable_digest() -> None:
    entra = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"
    subject = "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ-and-more"

    actor = stable_actor(entra, subject)

    assert len(actor) <= ACTOR_MAX_CHARS
    assert actor.startswith("oidc-sha256:")
    assert actor == stable_actor(entra, subject)
    assert actor != stable_actor(entra, subject + "x")


@pytest.mark.parametrize(
    ("missing", "reason"), [("iss", "issuer"), ("sub", "subject"), ("iat", "issue time")]
)
def test_a_token_without_issuer_subject_or_issue_time_is_refused(missing: str, reason: str) -> None:
    with pytest.raises(LoginRefused, match=reason):
        login_from_claims(_claims(**{missing: None}), _settings())


def test_a_login_expires_after_the_maximum_age() -> None:
    login = login_from_claims(_claims(), _settings())
    max_age = timedelta(hours=12)

    assert not expired(login, now=ISSUED + max_age, max_age=max_age)
    assert expired(login, now=ISSUED + max_age + timedelta(seconds=1), max_age=max_age)
    assert not expired(login, now=ISSUED - timedelta(hours=1), max_age=max_age)


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("", False),
        (None, False),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.7", False),
        ("tightrope.example.com", False),
    ],
)
def test_only_loopback_addresses_count_as_loopback(address: str | None, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_without_login_a_non_loopback_address_is_refused_unless_auth_none_says_so() -> None:
    refusal = exposure_refusal(Settings(_env_file=None), "0.0.0.0")

    assert refusal is not None
    assert "TIGHTROPE_AUTH=none" in refusal
    assert exposure_refusal(Settings(_env_file=None), "127.0.0.1") is None
    assert exposure_refusal(Settings(_env_file=None, auth="none"), "0.0.0.0") is None


def test_trusted_user_headers_are_refused_off_loopback_even_with_login() -> None:
    no_login = Settings(_env_file=None, auth="none")
    headers = {"X-Forwarded-Email": "email"}

    refusal = exposure_refusal(no_login, "0.0.0.0", trusted_headers=headers)

    assert refusal is not None
    assert "trustedUserHeaders" in refusal
    assert exposure_refusal(no_login, "127.0.0.1", trusted_headers=headers) is None


def _user(**claims: Any) -> dict[str, Any]:
    return {"is_logged_in": True, **_claims(**claims)}


def test_the_gate_admits_a_fresh_login_with_its_principal() -> None:
    admitted = admit(_user(), _settings(), now=ISSUED + timedelta(hours=1))

    assert not isinstance(admitted, str)
    assert admitted.principal.role == "analyst"


@pytest.mark.parametrize(
    ("user", "now", "reason"),
    [
        ({}, ISSUED, "Sign in"),  # no [auth] section: st.user has no is_logged_in
        ({"is_logged_in": False}, ISSUED, "Sign in"),
        (_user(sub=""), ISSUED, "Login refused: the identity provider sent no issuer"),
        (_user(), ISSUED + timedelta(hours=12, seconds=1), "expired"),
    ],
)
def test_the_gate_turns_away_no_login_a_bad_token_and_an_old_login(
    user: dict[str, Any], now: datetime, reason: str
) -> None:
    refused = admit(user, _settings(), now=now)

    assert isinstance(refused, str)
    assert reason in refused
