"""Debian Chromium driven by Playwright (never `playwright install`: the system browser is used)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from tests.support.tiers import unavailable

CHROMIUM = Path("/usr/lib/chromium/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched Playwright `Browser` on Debian's chromium; skips (fails in CI) without it."""
    if not CHROMIUM.exists():
        unavailable("Debian chromium not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright Python package is not installed")
        raise
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def fresh_page(browser: Any, *, viewport: dict[str, int], timeout_ms: int) -> Iterator[Any]:
    """A page in its own context (downloads on), with `timeout_ms` for actions and expect():
    a cold first render takes 3–5 s on a 2-core box, over expect()'s own 5 s default."""
    from playwright.sync_api import expect

    expect.set_options(timeout=timeout_ms)
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    try:
        yield page
    finally:
        context.close()


SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def settle(page: Any, *, appear_ms: int = 500) -> None:
    """Let a rerun start and finish: the status widget shows while the script runs."""
    status = page.locator("[data-testid=stStatusWidget]")
    with suppress(Exception):  # a fast rerun may never show it
        status.wait_for(state="visible", timeout=appear_ms)
    status.wait_for(state="detached")


def metric_value(page: Any, label: str) -> Any:
    """The value element of the st.metric card labelled exactly `label`."""
    label_locator = page.locator("[data-testid=stMetricLabel]").get_by_text(label, exact=True)
    card = page.locator("[data-testid=stMetric]").filter(has=label_locator)
    return card.locator("[data-testid=stMetricValue]")


def screenshot(page: Any, name: str) -> None:
    """A full-page PNG in artifacts/screenshots/ (git-ignored) for a human to look at; none
    when TIGHTROPE_TEST_SCREENSHOTS=0 (.ci/run: nobody looks at them there, and each costs a
    300 ms pause and a full-page encode; no assertion reads them)."""
    if os.environ.get("TIGHTROPE_TEST_SCREENSHOTS", "1") == "0":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # let plotly finish its transitions
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
