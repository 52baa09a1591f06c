"""In Chromium, hostile stored text (markdown images and links, raw HTML) is shown as text:
the browser requests nothing from the payloads' host and draws no image or link to it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy.orm import Session, sessionmaker

from data.repos.savings_report import backlog
from tests.dashboard.conftest import NOW, sessions_on
from tests.dashboard.hostile_text import actor, make_hostile
from tests.support.browser import settle
from tests.support.streamlit_server import streamlit_server

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1440, "height": 1200}
EVIL_HOST = "evil.example"


@pytest.fixture
def sessions(
    recommended_database: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[sessionmaker[Session]]:
    monkeypatch.setenv("TIGHTROPE_LOCAL_ACTOR", actor())
    yield from sessions_on(recommended_database)


def test_hostile_names_and_reasons_are_text_in_the_browser(
    sessions: sessionmaker[Session], recommended_database: str, page: Any, tmp_path: Path
) -> None:
    make_hostile(sessions)
    with sessions() as session:
        rec_ids = [int(i) for i in backlog(session)["recommendation_id"]]
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    paths = ["", "services", "service", "changes", "budgets", "simulator"]
    paths += [f"recommendations?rec={rec_id}" for rec_id in rec_ids]

    seen_payload = 0
    with streamlit_server(recommended_database, now=NOW, log_path=tmp_path / "st.log") as url:
        for path in paths:
            _open(page, f"{url}/{path}", detail=path.startswith("recommendations"))
            drawn = page.locator(f'img[src*="{EVIL_HOST}"], a[href*="{EVIL_HOST}"]').count()
            assert drawn == 0, f"/{path} draws {drawn} image(s) or link(s) to {EVIL_HOST}"
            seen_payload += page.get_by_text("img-name", exact=False).count()

    outside = [u for u in requested if urlsplit(u).hostname not in {"127.0.0.1", "localhost"}]
    assert not outside, outside
    assert seen_payload > 0, "no page showed a hostile name: the check saw nothing"


def _open(page: Any, url: str, *, detail: bool) -> None:
    """Go to `url` and wait until the page has drawn (its title; on a recommendation, the
    detail's caption, which names its team): counting before that proves nothing."""
    page.goto(url)
    page.locator("[data-testid=stHeading]").first.wait_for()
    if detail:
        page.get_by_text(re.compile(r"Recommendation #\d+ ·")).first.wait_for()
    settle(page)
