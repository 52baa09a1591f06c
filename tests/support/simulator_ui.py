"""Driving the Simulator page in Chromium: shared by its browser tests and its speed bench."""

from __future__ import annotations

from typing import Any

from tests.support.browser import settle

LATENCY_TITLE = "p95 latency: "


def open_simulator(page: Any, base_url: str) -> None:
    """Open the Simulator and wait until its latency chart has drawn and the run finished."""
    page.goto(f"{base_url}/simulator")
    chart_title(page, LATENCY_TITLE)
    settle(page, appear_ms=300)


def thumb(page: Any, label: str) -> Any:
    """The thumb of the slider labelled `label` (focus it, then press keys to move it)."""
    slider = page.locator("[data-testid=stSlider]").filter(has_text=label)
    return slider.get_by_role("slider")


def press(page: Any, label: str, key: str, *, times: int = 1) -> None:
    """Focus the slider's thumb and press `key`; each press is a value change and a rerun."""
    thumb(page, label).focus()
    for _ in range(times):
        page.keyboard.press(key)
    settle(page, appear_ms=300)


def wait_for_title(page: Any, prefix: str, text: str) -> None:
    """Until the chart whose title starts with `prefix` carries `text` (polled every frame)."""
    page.wait_for_function(
        """([prefix, text]) => [...document.querySelectorAll('text.gtitle')].some(
               (t) => t.textContent.startsWith(prefix) && t.textContent.includes(text))""",
        arg=[prefix, text],
        polling="raf",
    )


def wait_for_title_change(page: Any, prefix: str, before: str) -> str:
    """Until the chart whose title starts with `prefix` no longer reads `before`; its new title."""
    page.wait_for_function(
        """([prefix, before]) => [...document.querySelectorAll('text.gtitle')].some(
               (t) => t.textContent.startsWith(prefix) && t.textContent !== before)""",
        arg=[prefix, before],
        polling="raf",
    )
    return chart_title(page, prefix)


def chart_title(page: Any, prefix: str) -> str:
    """The title of the first chart whose title starts with `prefix`, once it is drawn."""
    title = page.locator("text.gtitle").filter(has_text=prefix).first
    title.wait_for()
    return str(title.text_content())
