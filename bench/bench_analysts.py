"""Benchmark: N analysts at once (Chromium sessions) moving Recommendations → Simulator → back.

Seeds a demo fleet (30 services × 90 days, recomputed) into a temporary SQLite file and, for
each N in --sessions (default 1, 5, 10), starts a fresh `python -m dashboard` and drives N
Playwright browser contexts at once (one asyncio loop, Debian Chromium). Session k first picks
the k-th service on the Simulator (so the sessions simulate different services), then loops
--rounds times: Recommendations (sidebar link) → Simulator → one "Demand growth" key press →
Recommendations. A page "settles" when its own content is drawn and Streamlit's running
indicator is gone. Prints p50/p95 settle per page kind and overall, each N's p95 ÷ the
N=1 p95 of the same run (target: ≤ 3 at N=10), the server's VmRSS/VmHWM with the sessions
still connected ((RSS at the largest N − RSS at N=1) ÷ (N − 1) is the memory per extra session,
target ≤ 10 MiB), the server's and its pool workers' CPU seconds and the load average.

    .venv/bin/python bench/bench_analysts.py [--sessions 1 5 10] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# `make bench` runs this file directly: put the repository root on the import path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.db import make_engine, make_sessions
from data.migrate import upgrade
from data.settings import Settings
from engine.profiles import PROFILES
from jobs.recompute import recompute
from tests.support.browser import CHROMIUM, LAUNCH_ARGS
from tests.support.streamlit_server import streamlit_server

DEMO_END = datetime(2026, 11, 26, tzinfo=UTC)
SERVICES = 30
HISTORY_DAYS = 90
VIEWPORT = {"width": 1600, "height": 1900}
TIMEOUT_MS = 240_000  # a loaded 2-core box with 10 sessions is slow; the bench reports, never fails
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Settled: the page's title is drawn, its own marker is there, nothing runs, nothing is stale.
SETTLED_JS = """([title, marker, text]) => {
  const titled = [...document.querySelectorAll('h1')].some((h) => h.textContent.includes(title));
  const marked = [...document.querySelectorAll(marker)].some((e) => e.textContent.includes(text));
  return titled && marked && !document.querySelector('[data-testid=stStatusWidget]')
    && !document.querySelector('[data-stale=true]');
}"""
RECS = ("Recommendations", "[data-testid=stMetricLabel]", "")
SIMULATOR = ("Simulator", "text.gtitle", "p95 latency: ")


@dataclass
class Phase:
    """One N: settle seconds per page kind, and the server's memory and CPU."""

    sessions: int
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    rss_kib: int = 0
    hwm_kib: int = 0
    workers_rss_kib: int = 0
    cpu_s: float = 0.0
    browser_cpu_s: float = 0.0  # Chromium and Playwright: the other tenant of the machine
    wall_s: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)

    def all_seconds(self) -> list[float]:
        return [s for kind in self.seconds.values() for s in kind]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 10])
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = _seeded(Path(scratch))
        phases = [
            asyncio.run(_phase(url, Path(scratch) / f"streamlit-{n}.log", n, args.rounds))
            for n in args.sessions
        ]
    _report(phases)


def _seeded(scratch: Path) -> str:
    url = f"sqlite:///{scratch / 'demo.db'}"
    engine = make_engine(Settings(database_url=url, _env_file=None))
    upgrade(engine)
    sessions = make_sessions(engine)
    seed_demo_fleet(
        sessions, load_catalog(), seed=42, n_services=SERVICES, days=HISTORY_DAYS, end=DEMO_END
    )
    recompute(sessions, load_catalog(), profile=PROFILES["balanced"], now=DEMO_END)
    engine.dispose()
    return url


async def _phase(url: str, log_path: Path, n: int, rounds: int) -> Phase:
    """A fresh server, one warm-up visit, then `n` sessions at once; measured while connected."""
    from playwright.async_api import async_playwright

    phase = Phase(sessions=n)
    now = DEMO_END + timedelta(hours=1)
    with streamlit_server(url, now=now, log_path=log_path, timeout_s=120) as base_url:
        server_pid = _server_pid()
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=LAUNCH_ARGS
            )
            pages = [await _open(browser, base_url) for _ in range(n)]
            await _warm_up(pages[0])
            cpu_before, load_before = _tree_cpu_s(server_pid), os.getloadavg()[0]
            all_before = _tree_cpu_s(os.getpid())
            started = time.perf_counter()
            await asyncio.gather(*(_analyst(p, k, rounds, phase) for k, p in enumerate(pages)))
            phase.wall_s = time.perf_counter() - started
            phase.cpu_s = _tree_cpu_s(server_pid) - cpu_before
            phase.browser_cpu_s = _tree_cpu_s(os.getpid()) - all_before - phase.cpu_s
            phase.load = (load_before, os.getloadavg()[0])
            phase.rss_kib, phase.hwm_kib = _status_kib(server_pid)
            phase.workers_rss_kib = sum(_status_kib(pid)[0] for pid in _descendants(server_pid))
            await browser.close()
    return phase


async def _open(browser: Any, base_url: str) -> Any:
    context = await browser.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    await page.goto(f"{base_url}/recommendations")
    await _settled(page, RECS)
    return page


async def _warm_up(page: Any) -> None:
    """One unmeasured pass so each N starts from the same warm process (imports, plotly)."""
    await _navigate(page, "Simulator", SIMULATOR)
    await _navigate(page, "Recommendations", RECS)


async def _analyst(page: Any, k: int, rounds: int, phase: Phase) -> None:
    await _navigate(page, "Simulator", SIMULATOR)
    await _pick_service(page, k)
    for _ in range(rounds):
        await _timed(phase, "Recommendations", _navigate(page, "Recommendations", RECS))
        await _timed(phase, "Simulator", _navigate(page, "Simulator", SIMULATOR))
        await _timed(phase, "slider", _press_growth(page))


async def _timed(phase: Phase, kind: str, step: Any) -> None:
    started = time.perf_counter()
    await step
    phase.seconds[kind].append(time.perf_counter() - started)


async def _navigate(page: Any, link: str, settled: tuple[str, str, str]) -> None:
    await page.locator("[data-testid=stSidebarNavLink]").filter(has_text=link).click()
    await _settled(page, settled)


async def _settled(page: Any, settled: tuple[str, str, str]) -> None:
    await page.wait_for_timeout(50)  # let the click's rerun reach the server
    await page.wait_for_function(SETTLED_JS, arg=list(settled), polling=100)


async def _pick_service(page: Any, k: int) -> None:
    """Session k simulates the k-th service (by name), so sessions do not share one run."""
    await page.locator("[data-testid=stSelectbox]").filter(has_text="Service").first.click()
    await page.get_by_role("option").nth(k % SERVICES).click()
    await _settled(page, SIMULATOR)


async def _press_growth(page: Any) -> None:
    """One step right on "Demand growth (%)"; settled when the chart shows the new growth."""
    slider = page.locator("[data-testid=stSlider]").filter(has_text="Demand growth (%)")
    growth_pct = int(await slider.locator("[data-testid=stSliderThumbValue]").inner_text())
    await slider.get_by_role("slider").focus()
    await page.keyboard.press("ArrowRight")
    await _settled(page, ("Simulator", "text.gtitle", f"at {growth_pct + 5:+d} % demand"))


def _server_pid() -> int:
    """The dashboard process: this process's child running `-m dashboard`."""
    for pid in _descendants(os.getpid()):
        if b"dashboard" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return pid
    raise RuntimeError("the dashboard process was not found")


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _tree_cpu_s(root: int) -> float:
    """User + system CPU of `root` and its live descendants (the server: its pool workers)."""
    total = 0
    for pid in [root, *_descendants(root)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def _status_kib(pid: int) -> tuple[int, int]:
    values = {"VmRSS:": 0, "VmHWM:": 0}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        parts = line.split()
        if parts and parts[0] in values:
            values[parts[0]] = int(parts[1])
    return values["VmRSS:"], values["VmHWM:"]


def _p(seconds: list[float], q: int) -> float:
    if len(seconds) < 2:
        return seconds[0] if seconds else float("nan")
    return statistics.quantiles(seconds, n=100, method="inclusive")[q - 1]


def _report(phases: list[Phase]) -> None:
    base = phases[0]
    base_p95 = _p(base.all_seconds(), 95)
    for phase in phases:
        for kind, seconds in sorted(phase.seconds.items()):
            print(
                f"N={phase.sessions:>2} {kind:<15} p50 {_p(seconds, 50):6.2f} s  "
                f"p95 {_p(seconds, 95):6.2f} s  ({len(seconds)} settles)"
            )
        p95 = _p(phase.all_seconds(), 95)
        print(
            f"N={phase.sessions:>2} all pages      p50 {_p(phase.all_seconds(), 50):6.2f} s  "
            f"p95 {p95:6.2f} s  = {p95 / base_p95:.2f}× N={base.sessions}'s p95; "
            f"wall {phase.wall_s:.1f} s, CPU server+pool {phase.cpu_s:.1f} s, "
            f"browser {phase.browser_cpu_s:.1f} s, "
            f"load {phase.load[0]:.1f}→{phase.load[1]:.1f}; server VmRSS "
            f"{phase.rss_kib / 1024:.0f} MiB (VmHWM {phase.hwm_kib / 1024:.0f} MiB), "
            f"pool workers {phase.workers_rss_kib / 1024:.0f} MiB"
        )
        settles = len(phase.all_seconds())
        print(
            f"N={phase.sessions:>2} CPU per settle: server+pool {phase.cpu_s / settles:.2f} s, "
            f"browser {phase.browser_cpu_s / settles:.2f} s (flat server CPU per settle while "
            "settles slow down = the machine, not the server, is the limit)"
        )
    last = phases[-1]
    if last.sessions > base.sessions:
        extra = (last.rss_kib - base.rss_kib) / (last.sessions - base.sessions) / 1024
        print(f"memory per extra session: {extra:.1f} MiB (server VmRSS, target ≤ 10 MiB)")


if __name__ == "__main__":
    main()
