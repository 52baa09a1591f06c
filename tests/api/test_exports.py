"""GET /v1/exports/recommendations on a real uvicorn (SQLite and PostgreSQL), against the CLI."""

from __future__ import annotations

import httpx
import yaml
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from data.api_key_actions import ApiKeyDesk
from data.exports.vocabulary import FORMATS, SCHEMAS
from data.settings import Settings
from data.workflow import WorkflowPolicy
from tests.api.conftest import Api
from tests.data.workflow.world import NOW, add_open_rec, make_commitment_rec, store
from tests.jobs.test_export_cli import run_export
from tests.support.api_server import serving

PATH = "/v1/exports/recommendations"


def _seed(sessions: sessionmaker[Session]) -> None:
    add_open_rec(sessions, "checkout-api")
    add_open_rec(sessions, "search-api", replicas=1)
    store(sessions, make_commitment_rec())


def test_a_viewer_downloads_each_format_with_its_media_type_and_file_name(
    api: Api, sessions: sessionmaker[Session]
) -> None:
    _seed(sessions)

    with api.client("viewer") as client:
        answers = {
            (fmt, schema): client.get(PATH, params={"format": fmt, "schema": schema})
            for fmt in FORMATS
            for schema in SCHEMAS
        }

    for (fmt, schema), answer in answers.items():
        assert answer.status_code == 200, answer.text
        suffix = "" if schema == "tightrope" else "-aws-coh"
        assert answer.headers["content-disposition"] == (
            f'attachment; filename="tightrope-recommendations{suffix}.{fmt}"'
        )
    assert answers["json", "tightrope"].headers["content-type"] == "application/json"
    assert answers["yaml", "aws-coh"].headers["content-type"] == "application/yaml"
    assert answers["csv", "tightrope"].headers["content-type"] == "text/csv; charset=utf-8"
    assert len(answers["json", "aws-coh"].json()["items"]) == 3
    assert (
        yaml.safe_load(answers["yaml", "tightrope"].content) == answers["json", "tightrope"].json()
    )


def test_the_api_and_the_cli_give_the_same_bytes(
    api: Api, sessions: sessionmaker[Session], settings: Settings
) -> None:
    _seed(sessions)

    with api.client("viewer") as client:
        served = {
            (fmt, schema): client.get(PATH, params={"format": fmt, "schema": schema}).content
            for fmt in FORMATS
            for schema in SCHEMAS
        }
    printed = {
        (fmt, schema): run_export(settings.database_url, "--format", fmt, "--schema", schema)
        for fmt in FORMATS
        for schema in SCHEMAS
    }

    for key, content in served.items():
        assert printed[key].returncode == 0, printed[key].stderr
        assert printed[key].stdout == content, key


def test_a_bad_format_or_status_is_a_problem_and_no_key_is_401(api: Api) -> None:
    with api.client("viewer") as client:
        bad_format = client.get(PATH, params={"format": "xml"})
        bad_status = client.get(PATH, params={"status": "opened"})
    anonymous = httpx.get(api.base_url + PATH)

    for answer in (bad_format, bad_status):
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"] == "urn:tightrope:problem:invalid-request"
    assert "query.format" in bad_format.json()["detail"]
    assert anonymous.status_code == 401


def test_only_the_asked_statuses_are_exported(api: Api, sessions: sessionmaker[Session]) -> None:
    _seed(sessions)

    with api.client("viewer") as client:
        none_applied = client.get(PATH, params={"status": "applied"}).json()
        opened = client.get(PATH, params=[("status", "open"), ("status", "postponed")]).json()

    assert none_applied == {"items": []}
    assert [item["status"] for item in opened["items"]] == ["open"] * 3


def test_exports_share_the_keys_rate_limit(
    api_settings: Settings, sessions: sessionmaker[Session]
) -> None:
    slow = api_settings.model_copy(update={"api_rate_per_s": 0.01, "api_rate_burst": 2})
    desk = ApiKeyDesk(sessions, WorkflowPolicy.from_settings(slow))
    secret = desk.create(slow.local_actor, name="exporter", role="viewer", now=NOW).secret

    with serving(create_app(slow, sessions)) as base_url:
        headers = {"Authorization": f"Bearer {secret}"}
        statuses = [httpx.get(base_url + PATH, headers=headers).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
