"""Issue 6 in a real browser: upload a FOCUS file, read its report, ingest, see it on Overview.

Runs `streamlit run` against a small demo fleet (fixed end) and drives Debian Chromium with
Playwright, as test_browser_journey does. The upload goes through st.file_uploader's own
file input. Screenshots go to artifacts/screenshots/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dashboard.components import formats
from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.db import make_engine, make_sessions
from data.repos import fleet
from data.repos.fleet import Filters
from data.repos.services import list_services
from data.settings import Settings
from tests.connectors.focus.builders import csv_bytes, focus_row
from tests.support.browser import metric_value, screenshot, settle
from tests.support.streamlit_server import streamlit_server

pytestmark = pytest.mark.browser

DEMO_END = datetime(2026, 11, 26, tzinfo=UTC)
# The dashboard's clock: an hour after the demo's data ends, whatever the calendar says.
AN_HOUR_ON = timedelta(hours=1)
VIEWPORT = {"width": 1600, "height": 2400}
FILE_NAME = "focus-1.2-upload-2026-11.csv"
RUN_RATE = "Run-rate per month"
# Five days of a service's compute, a new billing account (it restates nothing of the demo's).
DAYS = 5
USD_PER_DAY = "1250.00"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> str:
    path = tmp_path_factory.mktemp("browser-upload") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(Settings(database_url=url, _env_file=None))
    seed_demo_fleet(
        make_sessions(engine), load_catalog(), seed=42, n_services=12, days=14, end=DEMO_END
    )
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def dashboard_url(
    browser: Any, database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    log_path = tmp_path_factory.mktemp("streamlit-upload") / "streamlit.log"
    with streamlit_server(database, now=DEMO_END + AN_HOUR_ON, log_path=log_path) as url:
        yield url


def focus_upload(slug: str) -> bytes:
    """DAYS daily rows of $1,250 effective compute tagged to `slug`, ending the demo's day."""
    days = [DEMO_END - timedelta(days=n) for n in range(DAYS, 0, -1)]
    rows = [
        focus_row(
            BillingAccountId="777700002222",
            BillingPeriodStart="2026-11-01T00:00:00Z",
            BillingPeriodEnd="2026-12-01T00:00:00Z",
            ChargePeriodStart=f"{day:%Y-%m-%d}T00:00:00Z",
            ChargePeriodEnd=f"{day + timedelta(days=1):%Y-%m-%d}T00:00:00Z",
            BilledCost=USD_PER_DAY,
            EffectiveCost=USD_PER_DAY,
            ListCost="1500.00",
            Tags=json.dumps({"service": slug}),
        )
        for day in days
    ]
    return csv_bytes(rows)


def run_rate_text(database: str) -> str:
    """The Overview's run-rate card, computed from the database by the read model."""
    engine = make_engine(Settings(database_url=database, _env_file=None))
    with make_sessions(engine)() as session:
        status = fleet.fleet_status(session)
        today = status.as_of(DEMO_END + AN_HOUR_ON)  # the dashboard's clock
        assert today is not None
        kpis = fleet.fleet_kpis(session, filters=Filters(), today=today)
    engine.dispose()
    (rate,) = kpis.run_rates
    return formats.money_compact(rate.monthly_run_rate, rate.billing_currency)


def first_service_slug(database: str) -> str:
    engine = make_engine(Settings(database_url=database, _env_file=None))
    with make_sessions(engine)() as session:
        slug = sorted(service.slug for service in list_services(session))[0]
    engine.dispose()
    return slug


def test_analyst_uploads_a_focus_file_reads_the_report_and_sees_the_cost_on_overview(
    page: Any, dashboard_url: str, database: str
) -> None:
    from playwright.sync_api import expect

    before = run_rate_text(database)
    page.goto(dashboard_url)
    expect(metric_value(page, RUN_RATE)).to_have_text(before)

    _open(page, "Data sources")
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(
        {
            "name": FILE_NAME,
            "mimeType": "text/csv",
            "buffer": focus_upload(first_service_slug(database)),
        }
    )
    expect(page.get_by_text(f"{FILE_NAME} is a valid FOCUS 1.2 file: {DAYS} rows")).to_be_visible()
    expect(metric_value(page, "Rows read")).to_have_text(str(DAYS))
    expect(metric_value(page, "Billing periods")).to_have_text("1")
    totals = page.locator("[data-testid=stDataFrame]").filter(has_text="Effective cost").first
    # The grid's accessible copy, cell after cell: USD, billed, effective, list, unallocated, rows.
    expect(totals).to_contain_text(re.compile(r"USD\s*6250\s*6250\s*7500\s*0\s*5\b"))
    screenshot(page, "10-upload-validation-report")

    page.get_by_role("button", name="Ingest", exact=True).click()
    expect(page.get_by_text(f"Ingested {FILE_NAME}: {DAYS} rows →")).to_be_visible()
    screenshot(page, "11-upload-ingested")

    _open(page, "Overview")
    after = run_rate_text(database)
    assert after != before
    expect(metric_value(page, RUN_RATE)).to_have_text(after)
    screenshot(page, "12-overview-after-upload")


def _open(page: Any, title: str) -> None:
    page.locator("[data-testid=stSidebarNavLink]").filter(has_text=title).click()
    settle(page)
