"""Journeys 1, 2 and 4 in a real browser: drill from Overview to a service; approve a change.

Runs `streamlit run` on a free loopback port against a demo fleet (30 services × 14 days,
fixed end, recomputed) and drives Debian Chromium with Playwright. The approver's journey
(filter the backlog, apply, see the change, roll it back, download the savings report) runs
on SQLite and on PostgreSQL. Screenshots go to artifacts/screenshots/ (git-ignored) for a
human to look at.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from dashboard.components import formats
from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.db import make_engine, make_sessions
from data.repos import fleet, service_views
from data.repos.fleet import Filters
from data.repos.savings_report import REALIZED_REPORT_COLUMNS, REPORT_COLUMNS, backlog
from data.settings import Settings
from engine.profiles import PROFILES
from jobs.recompute import recompute
from tests.support.browser import metric_value, screenshot, settle
from tests.support.streamlit_server import streamlit_server

pytestmark = pytest.mark.browser

DEMO_END = datetime(2026, 11, 26, tzinfo=UTC)
# The dashboard's clock: an hour after the demo's data ends, whatever the calendar says.
AN_HOUR_ON = timedelta(hours=1)
TEAM = "payments"
VIEWPORT = {"width": 1600, "height": 2000}


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> str:
    path = tmp_path_factory.mktemp("browser") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    _seed(url)
    return url


def _seed(url: str) -> None:
    """The demo fleet and one recompute, as `make seed` does (fixed end, so stable numbers)."""
    engine = make_engine(Settings(database_url=url, _env_file=None))
    sessions = make_sessions(engine)
    seed_demo_fleet(sessions, load_catalog(), seed=42, n_services=30, days=14, end=DEMO_END)
    recompute(sessions, load_catalog(), profile=PROFILES["balanced"], now=DEMO_END)
    engine.dispose()


@pytest.fixture(scope="module")
def dashboard_url(
    browser: Any, demo_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    log_path = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    with streamlit_server(demo_database, now=DEMO_END + AN_HOUR_ON, log_path=log_path) as url:
        yield url


@pytest.fixture(scope="module")
def expected(demo_database: str) -> dict[str, Any]:
    """The numbers the pages must show, computed from the same database by the read models."""
    engine = make_engine(Settings(database_url=demo_database, _env_file=None))
    with make_sessions(engine)() as session:
        status = fleet.fleet_status(session)
        today = status.as_of(DEMO_END + AN_HOUR_ON)  # the dashboard's clock
        assert today is not None
        whole = fleet.fleet_kpis(session, filters=Filters(), today=today)
        team = fleet.fleet_kpis(session, filters=Filters(teams=(TEAM,)), today=today)
        table = service_views.services_table(
            session, filters=Filters(teams=(TEAM,)), today=today, usage_end=status.usage_end
        )
    engine.dispose()
    return {
        "run_rate": _run_rate_text(whole),
        "team_run_rate": _run_rate_text(team),
        "services": str(whole.services),
        "team_services": str(team.services),
        "team_names": table["name"].tolist(),
    }


def test_analyst_drills_from_overview_to_one_service(
    page: Any, dashboard_url: str, expected: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    page.goto(dashboard_url)
    _wait_for_chart(page, "Daily cost by team, and the forecast")
    expect(page.locator("[data-testid=stMetric]")).to_have_count(5)
    expect(metric_value(page, "Run-rate per month")).to_have_text(expected["run_rate"])
    expect(metric_value(page, "Services")).to_have_text(expected["services"])
    screenshot(page, "01-overview")

    _pick_in_multiselect(page, "Team", TEAM)
    expect(metric_value(page, "Services")).to_have_text(expected["team_services"])
    expect(metric_value(page, "Run-rate per month")).to_have_text(expected["team_run_rate"])
    assert expected["team_run_rate"] != expected["run_rate"]
    _wait_for_chart(page, "Daily cost by team, and the forecast")
    screenshot(page, "02-overview-team-filter")

    page.locator("[data-testid=stSidebarNavLink]").filter(has_text="Services").click()
    grid = page.locator("[data-testid=stDataFrame]").first
    grid.wait_for()
    expect(metric_value(page, "Services")).to_have_text(expected["team_services"])
    settle(page)
    screenshot(page, "03-services")

    _click_grid_row(page, grid, row=2)
    _wait_for_chart(page, "Cost and usage vs capacity and SLA")
    picker = page.get_by_role("combobox", name="Service", exact=True)
    expect(picker).to_have_value(re.compile(f"^{re.escape(expected['team_names'][2])} · "))
    for row in ("Cost per day by category", "CPU used vs capacity", "p95 latency vs SLA target"):
        # The figure's rows are titled by annotations, drawn once each.
        expect(page.locator("text.annotation-text").filter(has_text=row)).to_have_count(1)
    expect(page.get_by_text("SLA target (p95)").first).to_be_visible()
    screenshot(page, "04-service-detail")
    expect(page.get_by_text("Why no recommendation")).to_be_attached()
    page.set_viewport_size({**VIEWPORT, "height": 3000})  # the section sits below the fold
    screenshot(page, "04b-service-recommendations")
    page.set_viewport_size(VIEWPORT)
    expect(page.locator("[data-testid=stException]")).to_have_count(0)


def test_services_csv_export_downloads_every_listed_service(
    page: Any, dashboard_url: str, expected: dict[str, Any]
) -> None:
    page.goto(dashboard_url)
    _wait_for_chart(page, "Daily cost by team, and the forecast")
    page.locator("[data-testid=stSidebarNavLink]").filter(has_text="Services").click()
    page.locator("[data-testid=stDataFrame]").first.wait_for()
    settle(page)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export CSV").click()
    data = Path(download_info.value.path()).read_bytes()

    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert data.startswith(b'\xef\xbb\xbf"Service slug"')
    assert len(rows) == 1 + int(expected["services"])
    assert rows[0][:3] == ["Service slug", "Service", "Team"]


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def approver_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(backend, URL) of a recomputed demo fleet the approver's journey may change."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path_factory.mktemp("approver") / "demo.db"
        shutil.copyfile(template, path)
        _seed(f"sqlite:///{path}")
        yield "sqlite", f"sqlite:///{path}"
        return
    server: str = request.getfixturevalue("postgres_server_url")
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"tightrope_journey_{uuid.uuid4().hex[:8]}"
    _admin(server, f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    _seed(f"{server}/{name}")
    yield "postgresql", f"{server}/{name}"
    _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(server_url: str, statement: str) -> None:
    admin = create_engine(make_url(f"{server_url}/postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(statement))
    admin.dispose()


@pytest.fixture(scope="module")
def approver_url(
    browser: Any, approver_backend: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    log_path = tmp_path_factory.mktemp("streamlit-approver") / "streamlit.log"
    with streamlit_server(approver_backend[1], now=DEMO_END + AN_HOUR_ON, log_path=log_path) as url:
        yield url


def _backlog(url: str) -> pd.DataFrame:
    engine = make_engine(Settings(database_url=url, _env_file=None))
    with make_sessions(engine)() as session:
        frame = backlog(session)
    engine.dispose()
    return frame


def test_approver_applies_a_change_rolls_it_back_and_reports_savings(
    page: Any, approver_url: str, approver_backend: tuple[str, str]
) -> None:
    from playwright.sync_api import expect

    backend, url = approver_backend
    shots = backend == "sqlite"  # the same screens on both backends: keep one set
    before = _backlog(url)
    mine = before[(before["team"] == TEAM) & (before["kind"] == "rightsize")]
    target = mine.iloc[0]  # the best risk-adjusted rightsizing of the team
    rec_id = int(target["recommendation_id"])
    assert target["status"] == "open"

    page.goto(f"{approver_url}/recommendations")
    page.locator("[data-testid=stDataFrame]").first.wait_for()
    settle(page)
    expect(metric_value(page, "Open recommendations")).to_have_text(
        f"{(before['status'] == 'open').sum():,}"
    )
    if shots:
        screenshot(page, "05-recommendations")

    _pick_in_multiselect(page, "Team", TEAM)
    _pick_in_multiselect(page, "Type", "Rightsize")
    expect(page.get_by_text(f"{len(mine)} of {len(before)} recommendations shown")).to_be_visible()
    _pick_in_selectbox(page, "Recommendation", f"#{rec_id} · ")
    _wait_for_chart(page, "Projected CPU utilization: current vs proposed")
    expect(page.get_by_text("SLA verdict on the proposed configuration")).to_be_visible()
    if shots:
        screenshot(page, "06-recommendation-detail")

    page.get_by_role("button", name="Apply…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Rollback possible: yes")).to_be_visible()
    expect(dialog).to_contain_text("Monthly cost:")
    expect(dialog).to_contain_text("Restarts when rolled out:")
    # Said before the click and after it (decision 023): no GitOps repository here, so the
    # apply changes nothing outside Tightrope, and the page says so.
    expect(dialog).to_contain_text("Apply records the change in Tightrope only")
    settle(page)
    if shots:
        screenshot(page, "07-apply-dialog")
    dialog.get_by_role("button", name="Apply now").click()
    expect(_alert(page, f"Applied recommendation {rec_id}")).to_be_visible()
    expect(_alert(page, f"Applied recommendation {rec_id}")).to_contain_text(
        "Recorded only — not changed anywhere"
    )
    settle(page)
    if shots:
        screenshot(page, "08-applied")

    page.locator("[data-testid=stSidebarNavLink]").filter(has_text="Changes").click()
    picker = page.get_by_role("combobox", name="Change", exact=True)
    expect(picker).to_have_value(re.compile(f"^#\\d+ · {re.escape(str(target['service']))} · "))
    expect(metric_value(page, "Changes in effect")).to_have_text("1")
    settle(page)
    if shots:
        screenshot(page, "09-changes")

    page.get_by_role("button", name="Roll back…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Restores:")).to_be_visible()
    settle(page)
    if shots:
        screenshot(page, "10-rollback-dialog")
    dialog.get_by_role("button", name="Roll back now").click()
    expect(_alert(page, "Rolled back change")).to_be_visible()
    expect(metric_value(page, "Rolled back")).to_have_text("1")
    settle(page)
    if shots:
        screenshot(page, "11-rolled-back")

    after = _backlog(url)
    assert after.loc[after["recommendation_id"] == rec_id, "status"].item() == "rolled_back"
    page.locator("[data-testid=stSidebarNavLink]").filter(has_text="Recommendations").click()
    page.locator("[data-testid=stDataFrame]").first.wait_for()
    settle(page)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Savings report (CSV)").click()
    data = Path(download_info.value.path()).read_bytes()

    report = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    # The team and type filters are remembered across the page switches.
    shown = after[
        (after["team"] == TEAM) & (after["status"] == "open") & (after["kind"] == "rightsize")
    ]
    assert list(report.columns) == [*REPORT_COLUMNS.values(), *REALIZED_REPORT_COLUMNS.values()]
    assert sorted(report["Recommendation ID"]) == sorted(shown["recommendation_id"])
    assert rec_id not in set(report["Recommendation ID"])  # rolled back: not open any more
    assert pd.api.types.is_float_dtype(report["Estimated monthly savings"])
    # Every rightsizing saves: a fix that costs more is a "Restore SLA", never a negative saving.
    assert (report["Estimated monthly savings"] > 0).all()
    assert set(report["Team"]) == {TEAM}
    assert set(report["Action type"]) == {"Rightsize"}

    grid = page.locator("[data-testid=stDataFrame]").first
    _click_grid_row(page, grid, row=0)
    settle(page)
    _click_grid_row(page, grid, row=1)
    settle(page)
    page.get_by_role("button", name="Apply 2 selected…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("2 recommendations on 2 services")
    settle(page)
    if shots:
        screenshot(page, "12-bulk-apply-dialog")
    dialog.get_by_role("button", name="Apply 2 now").click()
    expect(_alert(page, "2 recommendations applied")).to_be_visible()
    bulk = _backlog(url).set_index("recommendation_id").loc[shown["recommendation_id"][:2]]
    assert set(bulk["status"]) == {"applied"}
    expect(page.locator("[data-testid=stException]")).to_have_count(0)


def _run_rate_text(kpis: fleet.FleetKpis) -> str:
    rate = kpis.run_rates[0]
    return formats.money_compact(rate.monthly_run_rate, rate.billing_currency)


def _pick_in_multiselect(page: Any, label: str, option: str) -> None:
    page.locator("[data-testid=stMultiSelect]").filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    settle(page)


def _alert(page: Any, text: str) -> Any:
    # The Recommendations page shows an outcome at the top and again beside the buttons that
    # were clicked (when that recommendation is still listed): either one will do.
    return page.locator("[data-testid=stAlert]").filter(has_text=text).first


def _pick_in_selectbox(page: Any, label: str, prefix: str) -> None:
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=re.compile(f"^{re.escape(prefix)}")).click()
    settle(page)


def _click_grid_row(page: Any, grid: Any, *, row: int) -> None:
    # The grid is a canvas: click the selection checkbox cell of data row `row` (0-based).
    box = grid.bounding_box()
    row_height_px = 35
    page.mouse.click(box["x"] + 14, box["y"] + row_height_px * (row + 1) + row_height_px / 2)


def _wait_for_chart(page: Any, title: str) -> None:
    """Wait until exactly one chart carries `title` (old and new charts overlap in a rerun)."""
    from playwright.sync_api import expect

    expect(page.locator("text.gtitle").filter(has_text=title)).to_have_count(1)
    settle(page)
