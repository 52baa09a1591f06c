"""Two dashboard replicas on one database: a write through either shows at once on the other.

Two real servers (`python -m dashboard`) share one SQLite file or one PostgreSQL database, as
two replicas behind a load balancer do (docs/deploy.md). Both render a service's page (so both
cache what it shows), a recommendation for it is applied through the guarded service the
page's Apply button calls, and the next visit to either replica must show the new
configuration, without a cache clear on either and long before the query TTL (300 s) ends:
the cached reads are keyed by the data version (decision 031).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.db import make_engine, make_sessions
from data.repos.stored_recommendations import StoredRecommendation, list_recommendations
from data.settings import Settings
from data.workflow import Workflow, WorkflowPolicy
from engine.profiles import PROFILES
from jobs.recompute import recompute
from tests.support.browser import fresh_page
from tests.support.streamlit_server import streamlit_server

pytestmark = pytest.mark.browser

DEMO_END = datetime(2026, 11, 26, tzinfo=UTC)
NOW = DEMO_END + timedelta(hours=1)
VIEWPORT = {"width": 1600, "height": 2000}
TIMEOUT_MS = 60_000
ACTOR = "root"


@pytest.fixture
def replicas(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two dashboard servers on the seeded, recomputed database: their base URLs."""
    _seed(database_url)
    with ExitStack() as stack:
        urls = tuple(
            stack.enter_context(
                streamlit_server(database_url, now=NOW, log_path=tmp_path / f"replica{n}.log")
            )
            for n in (1, 2)
        )
        yield urls[0], urls[1]


def _seed(url: str) -> None:
    engine = make_engine(Settings(database_url=url, _env_file=None))
    sessions = make_sessions(engine)
    seed_demo_fleet(sessions, load_catalog(), seed=42, n_services=12, days=14, end=DEMO_END)
    recompute(sessions, load_catalog(), profile=PROFILES["balanced"], now=DEMO_END)
    engine.dispose()


def _resize(url: str) -> StoredRecommendation:
    """An open recommendation that moves a VM service to another instance type."""
    engine = make_engine(Settings(database_url=url, _env_file=None))
    with make_sessions(engine)() as session:
        found = [
            rec
            for rec in list_recommendations(session, status="open")
            if rec.current is not None
            and rec.proposed is not None
            and rec.current.platform == rec.proposed.platform == "vm"
            and rec.current.instance_type != rec.proposed.instance_type
        ]
    engine.dispose()
    assert found, "the demo fleet has no instance-type change to apply"
    return found[0]


def _apply(url: str, rec: StoredRecommendation) -> None:
    """What the page's Apply button does (dashboard/actions.py → Workflow.apply)."""
    engine = make_engine(Settings(database_url=url, _env_file=None))
    flow = Workflow(make_sessions(engine), WorkflowPolicy(local_actor=ACTOR))
    flow.apply(ACTOR, rec.id, expected_version=rec.version, now=NOW)
    engine.dispose()


def _config_card(page: Any) -> Any:
    cards = page.locator("[data-testid=stVerticalBlock]")
    return cards.filter(has_text="Current configuration").last


def _shows_instance_type(
    page: Any, base_url: str, service_id: int, instance_type: str | None
) -> None:
    """A new visit to the service's page; its configuration card names `instance_type`."""
    from playwright.sync_api import expect

    assert instance_type is not None
    page.goto(f"{base_url}/service?service={service_id}")
    expect(_config_card(page)).to_contain_text(f"{instance_type} (", timeout=TIMEOUT_MS)


def test_an_apply_shows_at_once_on_both_replicas(
    browser: Any, database_url: str, replicas: tuple[str, str]
) -> None:
    rec = _resize(database_url)
    assert rec.service_id is not None
    assert rec.current is not None
    assert rec.proposed is not None
    with (
        fresh_page(browser, viewport=VIEWPORT, timeout_ms=TIMEOUT_MS) as first,
        fresh_page(browser, viewport=VIEWPORT, timeout_ms=TIMEOUT_MS) as second,
    ):
        for page, base_url in zip((first, second), replicas, strict=True):
            _shows_instance_type(page, base_url, rec.service_id, rec.current.instance_type)

        _apply(database_url, rec)

        for page, base_url in zip((first, second), replicas, strict=True):
            _shows_instance_type(page, base_url, rec.service_id, rec.proposed.instance_type)
