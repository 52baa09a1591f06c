"""The API on a real uvicorn over the parametrized database (SQLite and PostgreSQL), with keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from data.api_key_actions import ApiKeyDesk
from data.settings import Settings
from data.workflow import WorkflowPolicy
from tests.data.workflow.world import NOW
from tests.support.api_server import serving

ROLES = ("viewer", "analyst", "approver", "admin")


@dataclass(frozen=True)
class Api:
    """The served API: its base URL and one key per role (`keys["approver"]` is a secret)."""

    base_url: str
    keys: dict[str, str]

    def client(self, role: str | None = None) -> httpx.Client:
        headers = {} if role is None else {"Authorization": f"Bearer {self.keys[role]}"}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30.0)


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    """The test settings, the clock stopped at the workflow world's NOW (pages are called with
    it); a bulk apply may touch the whole (two-service) fleet."""
    update = {"api_page_size_max": 20, "clock_fixed_at": NOW, "bulk_apply_max_fleet_pct": 100.0}
    return settings.model_copy(update=update)


@pytest.fixture
def api(api_settings: Settings, sessions: sessionmaker[Session]) -> Iterator[Api]:
    with serve_api(api_settings, sessions) as served:
        yield served


@contextmanager
def serve_api(settings: Settings, sessions: sessionmaker[Session]) -> Iterator[Api]:
    """The API on `settings`, served until the block ends, with a key per role."""
    desk = ApiKeyDesk(sessions, WorkflowPolicy.from_settings(settings))
    keys = {
        role: desk.create(settings.local_actor, name=f"{role}-bot", role=role, now=NOW).secret
        for role in ROLES
    }
    with serving(create_app(settings, sessions)) as base_url:
        yield Api(base_url, keys)
