"""Who may call: API keys (401 without a valid one, the key's role on every write)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from data.api_key_actions import ApiKeyDesk
from data.errors import Forbidden
from data.models import ApiKeyRow
from data.settings import Settings
from data.workflow import WorkflowPolicy
from tests.api.conftest import Api
from tests.data.workflow.world import NOW, add_open_rec, audit_rows, denials, snapshot
from tests.support.api_server import serving


def test_no_key_gets_401_with_a_challenge(api: Api) -> None:
    with api.client() as client:
        answer = client.get("/v1/recommendations")

    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == 401


def test_an_unknown_key_gets_401(api: Api) -> None:
    with api.client() as client:
        answer = client.get("/v1/services", headers={"Authorization": "Bearer trk_not-a-key"})

    assert answer.status_code == 401
    assert "trk_not-a-key" not in answer.text


def test_a_revoked_key_gets_401(
    api: Api, api_settings: Settings, sessions: sessionmaker[Session]
) -> None:
    desk = ApiKeyDesk(sessions, WorkflowPolicy.from_settings(api_settings))
    with api.client("analyst") as client:
        assert client.get("/v1/services").status_code == 200
        desk.revoke(api_settings.local_actor, name="analyst-bot", now=NOW)

        assert client.get("/v1/services").status_code == 401


def test_a_viewer_key_gets_403_on_a_write_and_the_refusal_is_audited(
    api: Api, sessions: sessionmaker[Session]
) -> None:
    rec = add_open_rec(sessions)
    before = snapshot(sessions)

    with api.client("viewer") as client:
        answer = client.post(
            f"/v1/recommendations/{rec.id}/apply", headers={"If-Match": f'"{rec.id}-{rec.version}"'}
        )

    assert answer.status_code == 403
    assert answer.json()["detail"] == "apikey:viewer-bot is a viewer: apply needs the approver role"
    assert snapshot(sessions) == before
    ((actor, target_type, target_id, attempted, _),) = denials(sessions)
    assert (actor, target_type, target_id, attempted) == (
        "apikey:viewer-bot", "recommendation", str(rec.id), "apply",
    )  # fmt: skip


def test_a_viewer_key_reads(api: Api, sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)

    with api.client("viewer") as client:
        answer = client.get(f"/v1/recommendations/{rec.id}")

    assert answer.status_code == 200
    assert answer.json()["id"] == rec.id


def test_using_a_key_records_when_it_was_last_used(
    api: Api, sessions: sessionmaker[Session]
) -> None:
    with api.client("analyst") as client:
        client.get("/v1/services").raise_for_status()

    with sessions() as session:
        used = session.scalars(select(ApiKeyRow.name).where(ApiKeyRow.last_used_at.is_not(None)))
        assert list(used) == ["analyst-bot"]


def test_keys_are_created_by_admins_only_and_audited_without_their_secret(
    api_settings: Settings, sessions: sessionmaker[Session]
) -> None:
    policy = WorkflowPolicy(roles={"ana": "analyst"}, local_actor="root")
    desk = ApiKeyDesk(sessions, policy)

    issued = desk.create("root", name="ci", role="approver", now=NOW)
    with pytest.raises(Forbidden, match="creating an API key needs the admin role"):
        desk.create("ana", name="mine", role="admin", now=NOW)
    desk.revoke("root", name="ci", now=NOW)

    events = [(e.actor, e.action, e.target_type) for e in audit_rows(sessions)]
    assert events == [
        ("root", "api_key_create", "api_key"),
        ("ana", "denied", "api_key"),
        ("root", "api_key_revoke", "api_key"),
    ]
    assert all(
        issued.secret not in str((e.before, e.after, e.detail)) for e in audit_rows(sessions)
    )
    with sessions() as session:
        (row,) = session.scalars(select(ApiKeyRow))
        assert row.hash != issued.secret
        assert issued.secret.startswith(row.prefix)


def test_a_key_past_its_burst_gets_429_with_retry_after(
    api_settings: Settings, sessions: sessionmaker[Session]
) -> None:
    slow = api_settings.model_copy(update={"api_rate_per_s": 0.01, "api_rate_burst": 3})
    desk = ApiKeyDesk(sessions, WorkflowPolicy.from_settings(slow))
    secret = desk.create(slow.local_actor, name="chatty", role="viewer", now=NOW).secret
    other = desk.create(slow.local_actor, name="quiet", role="viewer", now=NOW).secret

    with serving(create_app(slow, sessions)) as base_url:
        statuses = [
            httpx.get(f"{base_url}/v1/services", headers={"Authorization": f"Bearer {secret}"})
            for _ in range(4)
        ]
        quiet = httpx.get(f"{base_url}/v1/services", headers={"Authorization": f"Bearer {other}"})

    assert [s.status_code for s in statuses] == [200, 200, 200, 429]
    assert int(statuses[-1].headers["retry-after"]) >= 1
    assert statuses[-1].json()["type"] == "urn:tightrope:problem:rate-limited"
    assert quiet.status_code == 200  # one key's bucket, not the process's


def test_last_used_is_written_at_most_once_a_minute(
    api_settings: Settings, sessions: sessionmaker[Session]
) -> None:
    desk = ApiKeyDesk(sessions, WorkflowPolicy.from_settings(api_settings))
    secret = desk.create(api_settings.local_actor, name="ticker", role="viewer", now=NOW).secret

    seen = [desk.authenticate(secret, now=NOW + timedelta(seconds=s)) for s in (0, 30, 59, 61)]

    def last_used() -> object:
        with sessions() as session:
            return session.scalar(select(ApiKeyRow.last_used_at).where(ApiKeyRow.name == "ticker"))

    assert all(key is not None for key in seen)
    assert last_used() == NOW + timedelta(seconds=61)
    assert [k.last_used_at for k in seen if k] == [None, NOW, NOW, NOW]
    assert desk.authenticate(secret + "x", now=NOW) is None
