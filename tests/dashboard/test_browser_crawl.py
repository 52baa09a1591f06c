"""Every page at 1,000 and 1,440 px, light and dark: no exception box, no KPI text cut short."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.db import make_engine, make_sessions
from data.repos.savings_report import backlog
from data.settings import Settings
from data.workflow import Workflow, WorkflowPolicy
from engine.profiles import PROFILES
from jobs.recompute import recompute
from tests.dashboard.conftest import BROWSER_TIMEOUT_MS
from tests.support.browser import fresh_page, screenshot, settle
from tests.support.streamlit_server import streamlit_server

pytestmark = pytest.mark.browser

DEMO_END = datetime(2026, 11, 26, tzinfo=UTC)
NOW = DEMO_END + timedelta(hours=1)  # the dashboard's clock: an hour after the data ends
ADMIN = "local-admin"
WIDTHS = (1000, 1440)
HEIGHT = 900
MAX_HEIGHT = 8000  # px: a screenshot taller than this is no use to a reader anyway
# The computed background of the app in each theme (.streamlit/config.toml backgroundColor).
BACKGROUNDS = {"light": "rgb(255, 255, 255)", "dark": "rgb(20, 24, 29)"}
# A cut delta ("needs 60…") misleads as much as a cut value.
KPI_PARTS = ("stMetricLabel", "stMetricValue", "stMetricDelta")


@dataclass(frozen=True, slots=True)
class Stop:
    """One page of the crawl: its name in screenshots, URL path and router title."""

    name: str
    path: str
    title: str


@dataclass(frozen=True, slots=True)
class Crawl:
    """The served dashboard and the recommendation the Recommendations page opens."""

    url: str
    rec_id: int


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Crawl]:
    """One `streamlit run` on the demo fleet (30 services × 14 days, recomputed) after a few
    decisions, so the pages show applied, rolled back and rejected states side by side."""
    path = tmp_path_factory.mktemp("crawl") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(Settings(database_url=url, _env_file=None))
    sessions = make_sessions(engine)
    seed_demo_fleet(sessions, load_catalog(), seed=42, n_services=30, days=14, end=DEMO_END)
    recompute(sessions, load_catalog(), profile=PROFILES["balanced"], now=DEMO_END)
    rec_id = _mixed_states(sessions)
    engine.dispose()
    log_path = tmp_path_factory.mktemp("streamlit-crawl") / "streamlit.log"
    with streamlit_server(url, now=NOW, log_path=log_path) as base_url:
        yield Crawl(base_url, rec_id)


def _mixed_states(sessions: sessionmaker[Session]) -> int:
    """Apply A, roll A back, apply B, reject C (the sequence that once crashed Changes), each on
    its own service so no decision supersedes another; returns B's recommendation id."""
    with sessions() as session:
        frame = backlog(session)
    open_ = frame[(frame["status"] == "open") & (frame["kind"] == "rightsize")]
    picked = open_.drop_duplicates("service").head(3)
    (a, a_version), (b, b_version), (c, c_version) = (
        (int(rid), int(version))
        for rid, version in zip(picked["recommendation_id"], picked["version"], strict=True)
    )
    flow = Workflow(sessions, WorkflowPolicy())
    applied = flow.apply(ADMIN, a, expected_version=a_version, now=NOW)
    assert applied.change_id is not None
    flow.rollback(ADMIN, applied.change_id, now=NOW, reason="p95 rose after the resize")
    flow.apply(ADMIN, b, expected_version=b_version, now=NOW)
    flow.reject(ADMIN, c, expected_version=c_version,
                reason="peak season: no resize before January", now=NOW)  # fmt: skip
    return b


def _stops(rec_id: int) -> tuple[Stop, ...]:
    """Every page of dashboard/streamlit_app.py, by URL path."""
    return (
        Stop("overview", "", "Overview"),
        Stop("services", "services", "Services"),
        Stop("service-detail", "service", "Service detail"),
        Stop("recommendations", f"recommendations?rec={rec_id}", "Recommendations"),
        Stop("changes", "changes", "Changes"),
        Stop("simulator", "simulator", "Simulator"),
        Stop("budgets", "budgets", "Budgets & anomalies"),
        Stop("data-sources", "data-sources", "Data sources"),
    )


@pytest.fixture(scope="module")
def crawler(browser: Any) -> Iterator[Any]:
    """One page for the whole crawl: themes switch by emulated prefers-color-scheme (the
    config sets no theme.base, so the app follows the browser)."""
    viewport = {"width": WIDTHS[-1], "height": HEIGHT}
    with fresh_page(browser, viewport=viewport, timeout_ms=BROWSER_TIMEOUT_MS) as page:
        yield page


@pytest.mark.parametrize("theme", list(BACKGROUNDS))
def test_every_page_renders_whole_kpis_without_errors(
    crawler: Any, crawl: Crawl, theme: str
) -> None:
    """Each page is opened once per theme and measured at each width; every problem is
    collected before failing, and the screenshots
    (artifacts/screenshots/crawl-<page>-<width>-<theme>.png) are for a human to look at."""
    crawler.emulate_media(color_scheme=theme)
    problems: list[str] = []

    for stop in _stops(crawl.rec_id):
        _visit(crawler, f"{crawl.url}/{stop.path}", stop.title, theme)
        for width in WIDTHS:
            _fit_viewport(crawler, width)
            problems += [f"{stop.name} {width} px {theme}: {p}" for p in _inspect(crawler)]
            screenshot(crawler, f"crawl-{stop.name}-{width}-{theme}")

    assert not problems, "\n".join(problems)


def _visit(page: Any, url: str, title: str, theme: str) -> None:
    """Open `url` and wait until its script has run to the end (every page closes with the
    freshness line) or stopped on an exception, in the expected theme."""
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.locator("h1").first).to_have_text(title)
    end = page.get_by_text("All times UTC.").or_(page.locator("[data-testid=stException]"))
    expect(end.first).to_be_attached()
    settle(page)
    expect(page.locator("[data-testid=stApp]")).to_have_css("background-color", BACKGROUNDS[theme])


def _fit_viewport(page: Any, width: int) -> None:
    """`width` wide and as tall as the page's content: Streamlit scrolls inside its main
    section, so a full-page screenshot alone would stop at the fold."""
    page.set_viewport_size({"width": width, "height": HEIGHT})
    _next_frame(page)
    height = page.locator("[data-testid=stMain]").evaluate("main => main.scrollHeight")
    page.set_viewport_size({"width": width, "height": max(HEIGHT, min(height, MAX_HEIGHT))})
    _next_frame(page)


def _next_frame(page: Any) -> None:
    """Wait for two rendered frames, so components that resize on ResizeObserver have laid out."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def _inspect(page: Any) -> list[str]:
    """What a reader would find wrong: exception boxes and KPI text cut short."""
    problems = [
        f"exception: {text[:200]!r}"
        for text in page.locator("[data-testid=stException]").all_inner_texts()
    ]
    for part in KPI_PARTS:
        problems += [f"{part} cut: {text!r}" for text in page.evaluate(_CUT_TEXTS, part)]
    return problems


# A KPI text is cut when it shows an ellipsis character or when any box inside it is narrower
# than its content (CSS text-overflow: ellipsis draws the "…" without putting it in the text).
_CUT_TEXTS = """
(testid) => Array.from(document.querySelectorAll(`[data-testid=${testid}]`)).flatMap(part => {
  const text = part.innerText.trim();
  const boxes = [part, ...part.querySelectorAll("*")];
  const overflows = boxes.some(b => b.clientWidth > 0 && b.scrollWidth > b.clientWidth + 1);
  return overflows || text.includes("…") ? [text] : [];
})
"""
