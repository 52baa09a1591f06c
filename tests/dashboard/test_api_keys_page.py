"""API keys page (AppTest): an admin creates a key (its secret shown once) and revokes it,
both audited; anyone else sees the list with the buttons locked and why."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.models import ApiKeyRow, AuditEventRow
from data.repos.api_keys import secret_hash
from tests.dashboard.conftest import open_page, sessions_on

PAGE = "app_pages/api_keys.py"


@pytest.fixture
def sessions(empty_database: str) -> Iterator[sessionmaker[Session]]:
    yield from sessions_on(empty_database)


def test_an_admin_creates_a_key_sees_it_once_and_revokes_it(
    sessions: sessionmaker[Session],
) -> None:
    at = open_page(PAGE)
    at.text_input(key="apikey_name").input("ci-apply")
    at.selectbox(key="apikey_role").select("approver")
    at.button(key="apikey_create").click().run()

    (secret,) = [c.value for c in at.code]
    with sessions() as session:
        (row,) = session.scalars(select(ApiKeyRow))
    assert (row.name, row.role, row.hash) == ("ci-apply", "approver", secret_hash(secret))
    assert at.dataframe[0].value["name"].tolist() == ["ci-apply"]

    at.run()
    assert not at.code  # shown once

    at.selectbox(key="apikey_revoke_name").select("ci-apply")
    at.button(key="apikey_revoke").click().run()

    with sessions() as session:
        events = session.execute(select(AuditEventRow.actor, AuditEventRow.action)).all()
        assert session.scalars(select(ApiKeyRow.revoked_at)).one() is not None
    assert [tuple(e) for e in events] == [
        ("local-admin", "api_key_create"),
        ("local-admin", "api_key_revoke"),
    ]
    assert at.dataframe[0].value["state"].tolist() == ["revoked"]


def test_a_non_admin_sees_key_management_locked_and_why(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIGHTROPE_LOCAL_ACTOR", "apu")
    monkeypatch.setenv("TIGHTROPE_ROLES", '{"apu": "approver"}')

    at = open_page(PAGE)

    assert at.button(key="apikey_create").disabled
    assert "apu is a approver: creating or revoking API keys needs the admin role" in " ".join(
        c.value for c in at.caption
    )
