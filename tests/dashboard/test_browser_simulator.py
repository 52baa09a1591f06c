"""Journey 3 in a real browser: the Simulator's levers, saved scenarios, export, and its speed.

Runs `streamlit run` against a demo fleet with 90 days of hourly usage (the engine's design
size: 2,160 hours, 500 paths) and drives Debian Chromium with Playwright, by keyboard: focus a
slider thumb, press ArrowRight, wait for the KPI and chart titles to follow. The speed test
prints the key press → updated chart time (p50/p95 over 20 presses); it never asserts on it.
Screenshots go to artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import csv
import io
import shutil
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dashboard.components.simulator_levers import CPU_REQUESTS_M
from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.db import make_engine, make_sessions
from data.settings import Settings
from tests.support.browser import metric_value, screenshot, settle
from tests.support.streamlit_server import streamlit_server

pytestmark = pytest.mark.browser

DEMO_END = datetime(2026, 11, 26, tzinfo=UTC)
VIEWPORT = {"width": 1600, "height": 1900}
LATENCY_TITLE = "p95 latency: "
SPEED_PRESSES = 20


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
    with streamlit_server(url, log_path=log_path) as base_url:
        yield base_url


def test_analyst_moves_levers_saves_compares_and_exports(page: Any, dashboard_url: str) -> None:
    from playwright.sync_api import expect

    _open_simulator(page, dashboard_url)
    expect(page.locator("[data-testid=stMetric]")).to_have_count(4)
    expect(metric_value(page, "Monthly cost Δ")).to_have_text("$0 /mo")
    title = _chart_title(page, LATENCY_TITLE)
    cost_title = _chart_title(page, "Monthly cost: ")
    assert title.endswith("at +0 % demand")
    screenshot(page, "sim-01-defaults")

    _press(page, "Demand growth (%)", "ArrowRight", times=4)
    _wait_for_title(page, LATENCY_TITLE, "at +20 % demand")
    replicas_before = _slider_value(page, "Replicas")
    _press(page, "Replicas", "ArrowRight")
    _wait_for_title(page, LATENCY_TITLE, f"{replicas_before + 1} × ")
    expect(metric_value(page, "Monthly cost Δ")).not_to_have_text("$0 /mo")
    assert _chart_title(page, "Monthly cost: ") != cost_title
    cpu_m = _millicores(_slider_text(page, "CPU request per pod"))
    bigger = min(m for m in CPU_REQUESTS_M if m > cpu_m)
    _press(page, "CPU request per pod", "ArrowRight")
    _wait_for_title(page, LATENCY_TITLE, f"{replicas_before + 1} × {bigger}m")
    screenshot(page, "sim-02-levers-moved")
    _press(page, "CPU request per pod", "ArrowLeft")
    _wait_for_title(page, LATENCY_TITLE, f"{replicas_before + 1} × {cpu_m}m")

    _save(page, "one more replica at +20 %")
    _press(page, "Replicas", "ArrowLeft", times=2)
    _wait_for_title(page, LATENCY_TITLE, f"{replicas_before - 1} × ")
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

    _open_simulator(page, dashboard_url)

    page.get_by_text("A team", exact=True).click()
    expect(metric_value(page, "Services breaking the SLA")).to_be_visible()
    _press(page, "Demand growth for the team (%)", "ArrowRight", times=14)
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


def test_slider_to_chart_speed_is_measured(page: Any, dashboard_url: str) -> None:
    """Key press → the latency chart's title shows the new growth; printed, never asserted."""
    _open_simulator(page, dashboard_url)
    _press(page, "Demand growth (%)", "ArrowRight")  # warm: first fragment run, plotly loaded
    _wait_for_title(page, LATENCY_TITLE, "at +5 % demand")
    settle(page, appear_ms=300)
    thumb = _thumb(page, "Demand growth (%)")
    thumb.focus()
    seconds = []
    for press in range(2, SPEED_PRESSES + 2):
        started = time.perf_counter()
        page.keyboard.press("ArrowRight")
        _wait_for_title(page, LATENCY_TITLE, f"at +{5 * press} % demand")
        seconds.append(time.perf_counter() - started)
        settle(page, appear_ms=300)
    p50 = statistics.median(seconds) * 1000
    p95 = statistics.quantiles(seconds, n=20, method="inclusive")[-1] * 1000
    print(
        f"\nsimulator slider key press → updated chart over {len(seconds)} presses "
        f"(90 d hourly, 500 paths): p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
        f"min {min(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms"
    )
    screenshot(page, "sim-04-after-speed-run")


def _open_simulator(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/simulator")
    _chart_title(page, LATENCY_TITLE)
    settle(page, appear_ms=300)


def _thumb(page: Any, label: str) -> Any:
    slider = page.locator("[data-testid=stSlider]").filter(has_text=label)
    return slider.get_by_role("slider")


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


def _press(page: Any, label: str, key: str, *, times: int = 1) -> None:
    """Focus the slider's thumb and press `key`; each press is a value change and a rerun."""
    _thumb(page, label).focus()
    for _ in range(times):
        page.keyboard.press(key)
    settle(page, appear_ms=300)


def _wait_for_title(page: Any, prefix: str, text: str) -> None:
    """Until the chart whose title starts with `prefix` carries `text` (polled every frame)."""
    page.wait_for_function(
        """([prefix, text]) => [...document.querySelectorAll('text.gtitle')].some(
               (t) => t.textContent.startsWith(prefix) && t.textContent.includes(text))""",
        arg=[prefix, text],
        polling="raf",
    )


def _chart_title(page: Any, prefix: str) -> str:
    title = page.locator("text.gtitle").filter(has_text=prefix).first
    title.wait_for()
    return str(title.text_content())


def _save(page: Any, name: str) -> None:
    from playwright.sync_api import expect

    page.get_by_label("Scenario name").fill(name)
    page.get_by_role("button", name="Save scenario").click()
    expect(page.locator("[data-testid=stAlert]").filter(has_text=f"“{name}”")).to_be_visible()
    settle(page, appear_ms=300)


def _read(download: Any) -> str:
    return Path(download.path()).read_bytes().decode("utf-8-sig")
