"""Journey 3 in a real browser: the Simulator's levers, saved scenarios, export, team mode.

Runs `streamlit run` against a demo fleet with 90 days of hourly usage (the engine's design
size: 2,160 hours, 500 paths) and drives Debian Chromium with Playwright, by keyboard: focus a
slider thumb, press ArrowRight, wait for the KPI and chart titles to follow. The key press →
updated chart time is measured by bench/bench_simulator_slider.py, never asserted here.
Screenshots go to artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dashboard.components.simulator.levers import CPU_REQUESTS_M
from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.db import make_engine, make_sessions
from data.settings import Settings
from tests.support.browser import metric_value, screenshot, settle
from tests.support.simulator_ui import (
    LATENCY_TITLE,
    chart_title,
    open_simulator,
    press,
    thumb,
    wait_for_title,
    wait_for_title_change,
)
from tests.support.streamlit_server import streamlit_server

pytestmark = pytest.mark.browser

DEMO_END = datetime(2026, 11, 26, tzinfo=UTC)
# The dashboard's clock: an hour after the demo's data ends, whatever the calendar says.
AN_HOUR_ON = timedelta(hours=1)
VIEWPORT = {"width": 1600, "height": 1900}


@pytest.fixture(scope="module")
def dashboard_url(
    browser: Any, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A demo fleet of 8 services × 90 days (fixed end) served by `streamlit run`.

    Its first service by name (the one the page opens) runs on Kubernetes.
    """
    path = tmp_path_factory.mktemp("simulator") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(Settings(database_url=url, _env_file=None))
    seed_demo_fleet(
        make_sessions(engine), load_catalog(), seed=42, n_services=8, days=90, end=DEMO_END
    )
    engine.dispose()
    log_path = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    with streamlit_server(url, now=DEMO_END + AN_HOUR_ON, log_path=log_path) as base_url:
        yield base_url


def test_analyst_moves_levers_saves_compares_and_exports(page: Any, dashboard_url: str) -> None:
    from playwright.sync_api import expect

    open_simulator(page, dashboard_url)
    expect(page.locator("[data-testid=stMetric]")).to_have_count(4)
    expect(metric_value(page, "Monthly cost Δ")).to_have_text("$0 /mo")
    title = chart_title(page, LATENCY_TITLE)
    cost_title = chart_title(page, "Monthly cost: ")
    assert title.endswith("at +0 % demand")
    screenshot(page, "sim-01-defaults")

    press(page, "Demand growth (%)", "ArrowRight", times=4)
    wait_for_title(page, LATENCY_TITLE, "at +20 % demand")
    replicas_before = _slider_value(page, "Replicas")
    press(page, "Replicas", "ArrowRight")
    wait_for_title(page, LATENCY_TITLE, f"{replicas_before + 1} × ")
    expect(metric_value(page, "Monthly cost Δ")).not_to_have_text("$0 /mo")
    wait_for_title_change(page, "Monthly cost: ", cost_title)
    cpu_m = _millicores(_slider_text(page, "CPU request per pod"))
    bigger = min(m for m in CPU_REQUESTS_M if m > cpu_m)
    press(page, "CPU request per pod", "ArrowRight")
    wait_for_title(page, LATENCY_TITLE, f"{replicas_before + 1} × {bigger}m")
    screenshot(page, "sim-02-levers-moved")
    press(page, "CPU request per pod", "ArrowLeft")
    wait_for_title(page, LATENCY_TITLE, f"{replicas_before + 1} × {cpu_m}m")

    _save(page, "one more replica at +20 %")
    press(page, "Replicas", "ArrowLeft", times=2)
    wait_for_title(page, LATENCY_TITLE, f"{replicas_before - 1} × ")
    _save(page, "one fewer replica at +20 %")
    compare = page.locator("[data-testid=stDataFrame]").filter(has_text="Figure")
    expect(compare).to_have_count(1)
    page.set_viewport_size({**VIEWPORT, "height": 3000})  # the section sits below the fold
    settle(page, appear_ms=300)
    screenshot(page, "sim-03-saved-and-compared")
    page.set_viewport_size(VIEWPORT)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export CSV").click()
    rows = list(csv.DictReader(io.StringIO(_read(download_info.value), newline="")))
    assert [row["Scenario"] for row in rows] == [
        "one more replica at +20 %",
        "one fewer replica at +20 %",
    ]
    assert all(row["Demand growth (%)"] == "20.0" for row in rows)
    expect(page.locator("[data-testid=stException]")).to_have_count(0)


def test_team_mode_shows_who_breaks_and_the_cost_to_keep_them_whole(
    page: Any, dashboard_url: str
) -> None:
    from playwright.sync_api import expect

    open_simulator(page, dashboard_url)

    page.get_by_text("A team", exact=True).click()
    expect(metric_value(page, "Services breaking the SLA")).to_be_visible()
    press(page, "Demand growth for the team (%)", "ArrowRight", times=14)
    expect(
        page.locator("[data-testid=stMetric]").filter(has_text="at +100 % demand")
    ).to_be_visible()
    expect(page.locator("[data-testid=stDataFrame]")).to_have_count(1)
    page.get_by_label("Team scenario name").fill("team doubles")
    page.get_by_role("button", name="Save team scenario").click()
    expect(page.locator("[data-testid=stAlert]").filter(has_text="“team doubles”")).to_be_visible()
    expect(page.locator("[data-testid=stDataFrame]")).to_have_count(2)
    settle(page, appear_ms=300)
    screenshot(page, "sim-05-team")
    expect(page.locator("[data-testid=stException]")).to_have_count(0)


def test_each_key_press_redraws_the_chart_for_the_new_growth(page: Any, dashboard_url: str) -> None:
    """Five presses in a row: every one is drawn, in order (bench/bench_simulator_slider.py
    times the same path)."""
    from playwright.sync_api import expect

    open_simulator(page, dashboard_url)
    thumb(page, "Demand growth (%)").focus()
    for step in range(1, 6):
        page.keyboard.press("ArrowRight")
        wait_for_title(page, LATENCY_TITLE, f"at +{5 * step} % demand")
    settle(page, appear_ms=300)

    assert chart_title(page, LATENCY_TITLE).endswith("at +25 % demand")
    growth = page.locator("[data-testid=stSlider]").filter(has_text="Demand growth (%)")
    expect(growth.locator("[data-testid=stSliderThumbValue]")).to_have_text("25")
    expect(page.locator("[data-testid=stException]")).to_have_count(0)


def test_the_next_service_is_priced_with_its_own_commitment(page: Any, dashboard_url: str) -> None:
    """Crawler (opened first, nothing committed), then Crawler #2 (12 × c6a.xlarge, 50 %
    committed). The browser keeps a keyed slider's last value unless the page pushes the new
    one: the coverage lever stayed at Crawler's 0 % and the next move priced Crawler #2 with
    no commitment (+$248 /mo for a demand change on a fixed count)."""
    from playwright.sync_api import expect

    open_simulator(page, dashboard_url)

    _pick_service(page, "Crawler #2")
    wait_for_title(page, LATENCY_TITLE, "12 × c6a.xlarge")
    settle(page, appear_ms=300)
    assert _slider_text(page, "Commitment coverage (%)") == "50"
    press(page, "Demand growth (%)", "ArrowRight")
    wait_for_title(page, LATENCY_TITLE, "at +5 % demand")

    expect(metric_value(page, "Monthly cost Δ")).to_have_text("$0 /mo")
    assert _slider_text(page, "Commitment coverage (%)") == "50"


def _pick_service(page: Any, name: str) -> None:
    page.locator("[data-testid=stSelectbox]").filter(has_text="Service").first.click()
    page.get_by_role("option").filter(has_text=name).first.click()
    settle(page, appear_ms=500)


def _slider_value(page: Any, label: str) -> int:
    return int(_slider_text(page, label))


def _slider_text(page: Any, label: str) -> str:
    slider = page.locator("[data-testid=stSlider]").filter(has_text=label)
    return str(slider.locator("[data-testid=stSliderThumbValue]").inner_text())


def _millicores(text: str) -> int:
    """`500m` or `1.50 cores` (formats.cores) → millicores."""
    if text.endswith("m"):
        return int(text[:-1])
    return round(float(text.split()[0]) * 1000)


def _save(page: Any, name: str) -> None:
    from playwright.sync_api import expect

    page.get_by_label("Scenario name").fill(name)
    page.get_by_role("button", name="Save scenario").click()
    expect(page.locator("[data-testid=stAlert]").filter(has_text=f"“{name}”")).to_be_visible()
    settle(page, appear_ms=300)


def _read(download: Any) -> str:
    return Path(download.path()).read_bytes().decode("utf-8-sig")
