"""Issue 18 in a real browser: apply a recommendation, and once the weeks after it are billed,
see its realized savings on Changes.

The demo fleet holds usage and billing up to DEMO_END. The dashboard first runs with its clock
three weeks earlier (APPLIED_AT): the approver applies the team's best rightsizing there. Then
the dashboard restarts with its clock at DEMO_END: the three weeks of usage and billing after
the apply are in the database, and Changes shows the change's realized savings with its band,
the same text the read model computes.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dashboard import realized_view
from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.db import make_engine, make_sessions
from data.repos.realized import realized_savings
from data.repos.savings_report import backlog
from data.settings import Settings
from engine.profiles import PROFILES
from engine.realized import Realized
from jobs.recompute import recompute
from tests.support.browser import screenshot, settle
from tests.support.streamlit_server import streamlit_server

pytestmark = pytest.mark.browser

DEMO_END = datetime(2026, 11, 26, tzinfo=UTC)
APPLIED_AT = DEMO_END - timedelta(days=21, hours=14)  # Nov 4, 10:00 UTC
VIEWPORT = {"width": 1600, "height": 2400}


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> str:
    """The demo fleet to DEMO_END (no past changes), recomputed as of APPLIED_AT."""
    path = tmp_path_factory.mktemp("realized-browser") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(Settings(database_url=url, _env_file=None))
    sessions = make_sessions(engine)
    seed_demo_fleet(sessions, load_catalog(), seed=42, n_services=30, days=45, end=DEMO_END)
    recompute(sessions, load_catalog(), profile=PROFILES["balanced"], now=APPLIED_AT)
    engine.dispose()
    return url


def _target(url: str) -> tuple[int, str]:
    engine = make_engine(Settings(database_url=url, _env_file=None))
    with make_sessions(engine)() as session:
        frame = backlog(session)
    engine.dispose()
    open_rightsizing = frame[(frame["status"] == "open") & (frame["kind"] == "rightsize")]
    target = open_rightsizing.iloc[0]
    return int(target["recommendation_id"]), str(target["service"])


def _realized_text(url: str, rec_id: int) -> str:
    engine = make_engine(Settings(database_url=url, _env_file=None))
    with make_sessions(engine)() as session:
        found = [
            c for c in realized_savings(session, now=DEMO_END) if c.recommendation_id == rec_id
        ]
    engine.dispose()
    (change,) = found
    assert isinstance(change.result, Realized)
    return realized_view.realized_text(change)


def test_apply_then_see_realized_savings_on_changes(
    browser: Any, page: Any, demo_database: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    rec_id, service = _target(demo_database)
    with streamlit_server(demo_database, now=APPLIED_AT, log_path=tmp_path / "then.log") as url:
        page.goto(f"{url}/recommendations?rec={rec_id}")
        page.get_by_role("button", name="Apply…").click()
        page.get_by_role("dialog").get_by_role("button", name="Apply now").click()
        alert = page.locator("[data-testid=stAlert]").filter(
            has_text=f"Applied recommendation {rec_id}"
        )
        expect(alert.first).to_be_visible()

    expected = _realized_text(demo_database, rec_id)
    with streamlit_server(
        demo_database, now=DEMO_END + timedelta(hours=1), log_path=tmp_path / "now.log"
    ) as url:
        page.goto(f"{url}/changes")
        section = page.get_by_text("Realized savings and SLA after apply")
        expect(section).to_be_visible()
        grid = page.locator("[data-testid=stDataFrame]").filter(has_text="Realized /mo (95 % band)")
        grid.scroll_into_view_if_needed()
        settle(page)
        expect(grid).to_contain_text(re.compile(re.escape(expected)))
        expect(grid).to_contain_text(service)
        screenshot(page, "realized-01-changes")
        expect(page.locator("[data-testid=stException]")).to_have_count(0)
