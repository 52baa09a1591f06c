"""Benchmark: Simulator slider key press → redrawn chart in Chromium, against the engine alone.

Seeds a demo fleet (8 services × 90 days of hourly usage: the engine's design size, 2,160 hours
× 500 paths) into a temporary SQLite file, serves it with a real `streamlit run`, and drives
Debian Chromium with Playwright: focus the "Demand growth (%)" thumb, press ArrowRight, wait for
the latency chart's title to show the new growth. Prints p50 / p95 over the presses and, as the
same-run baseline, the engine's own `simulate` time for the same service and growth, so the
ratio says how much of a slider move is the page rather than the model. Target: p95 ≤ 0.5 s.

    .venv/bin/python bench/bench_simulator_slider.py [--presses 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# `make bench` runs this file directly: put the repository root on the import path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.db import make_engine, make_sessions
from data.migrate import upgrade
from data.repos import fleet_usage, services
from data.settings import Settings
from engine.simulation import Scenario, simulate
from tests.support.browser import chromium, fresh_page, settle
from tests.support.simulator_ui import LATENCY_TITLE, open_simulator, thumb, wait_for_title
from tests.support.streamlit_server import streamlit_server

DEMO_END = datetime(2026, 11, 26, tzinfo=UTC)
GROWTH_STEP_PCT = 5
HISTORY_DAYS = 90


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=20)
    presses = parser.parse_args().presses
    with tempfile.TemporaryDirectory() as scratch:
        url = _seeded(Path(scratch))
        page_s = _page_seconds(url, Path(scratch) / "streamlit.log", presses)
        engine_s = _engine_seconds(url, presses)
    _print("key press → redrawn chart (Chromium)", page_s)
    _print("engine simulate() alone, same service", engine_s)
    ratio = statistics.median(page_s) / statistics.median(engine_s)
    print(f"page ÷ engine (p50): {ratio:.1f}×")


def _seeded(scratch: Path) -> str:
    url = f"sqlite:///{scratch / 'demo.db'}"
    engine = make_engine(Settings(database_url=url, _env_file=None))
    upgrade(engine)
    seed_demo_fleet(
        make_sessions(engine), load_catalog(), seed=42, n_services=8, days=HISTORY_DAYS,
        end=DEMO_END,
    )  # fmt: skip
    engine.dispose()
    return url


def _page_seconds(url: str, log_path: Path, presses: int) -> list[float]:
    now = DEMO_END + timedelta(hours=1)
    viewport = {"width": 1600, "height": 1900}
    with (
        chromium() as browser,
        streamlit_server(url, now=now, log_path=log_path) as base_url,
        fresh_page(browser, viewport=viewport, timeout_ms=60_000) as page,
    ):
        open_simulator(page, base_url)
        thumb(page, "Demand growth (%)").focus()
        page.keyboard.press("ArrowRight")  # warm: first fragment run, plotly loaded
        wait_for_title(page, LATENCY_TITLE, f"at +{GROWTH_STEP_PCT} % demand")
        settle(page, appear_ms=300)
        seconds = []
        for press in range(2, presses + 2):
            started = time.perf_counter()
            page.keyboard.press("ArrowRight")
            wait_for_title(page, LATENCY_TITLE, f"at +{GROWTH_STEP_PCT * press} % demand")
            seconds.append(time.perf_counter() - started)
            settle(page, appear_ms=300)
    return seconds


def _engine_seconds(url: str, repeats: int) -> list[float]:
    """`simulate` for the page's first service (by name) at each growth the presses reached."""
    engine = make_engine(Settings(database_url=url, _env_file=None))
    with make_sessions(engine)() as session:
        service = min(services.list_services(session), key=lambda s: (s.name, s.id))
        current = services.current_config(session, service.id)
        start = DEMO_END - timedelta(days=HISTORY_DAYS)
        usage = fleet_usage.load_usage_windows(session, [service.id], start=start, end=DEMO_END)
    engine.dispose()
    catalog = load_catalog()
    seconds = []
    for press in range(2, repeats + 2):
        scenario = Scenario(growth_pct=float(GROWTH_STEP_PCT * press))
        started = time.perf_counter()
        simulate(usage[service.id], current, scenario, service=service, catalog=catalog)
        seconds.append(time.perf_counter() - started)
    return seconds


def _print(what: str, seconds: list[float]) -> None:
    p50 = statistics.median(seconds) * 1000
    p95 = statistics.quantiles(seconds, n=20, method="inclusive")[-1] * 1000
    print(
        f"{what}: p50 {p50:.0f} ms, p95 {p95:.0f} ms, min {min(seconds) * 1000:.0f} ms, "
        f"max {max(seconds) * 1000:.0f} ms over {len(seconds)}"
    )


if __name__ == "__main__":
    main()
