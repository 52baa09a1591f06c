"""Benchmark: N analysts at once (Chromium sessions) moving Recommendations → Simulator → back.

Seeds a demo fleet (30 services × 90 days, recomputed) into a temporary SQLite file and, for
each N in --sessions (default 1, 10), starts a fresh `python -m dashboard` and drives N
Playwright browser contexts at once (one asyncio loop, Debian Chromium with the cheapest flags
that still draw the pages: CHEAP_ARGS). Session k first picks the k-th service on the Simulator
(so the sessions simulate different services), then loops --rounds times: Recommendations
(sidebar link) → Simulator → one "Demand growth" key press. Before every action an analyst
reads the page: a think time of --think-s × U(0.5, 1.5), drawn from a generator seeded by k, so
session k pauses the same in every N (--think-s 0: back to back, the definition of the first
runs in decision 032).

Two settles are reported. Browser settle: the action → the page's own content drawn and
Streamlit's running indicator gone, as the analyst sees it (it includes Chromium's own work on
the same cores). Server settle: one script run, start → finish, as the server logs it
(dashboard/run_timing.py), with its script thread's CPU. Each N's p95 is divided by the N=1
p95 of the same run (target: ≤ 3 at N=10). Also: the server's VmRSS with the sessions still
connected ((RSS at the largest N − RSS at N=1) ÷ (N − 1) per extra session, target ≤ 10 MiB),
the CPU seconds of the server + pool workers and of the browsers, and the load average.

`--client protocol` (a second measurement, not the headline): no browser; each session speaks
Streamlit's websocket protocol (bench/analysts_protocol.py) and a settle ends when the run's
script_finished arrives, after all its deltas: what the server gives N analysts whose browsers
run elsewhere. `--placement split` (a third, not the headline either): the browsers
(Playwright and every Chromium process) run on CPU 0 only and the server with its pool on the
other CPUs, so the ten browsers no longer take the server's cores. Other tenants of the
machine still share every core in every mode.

    .venv/bin/python bench/bench_analysts.py [--sessions 1 10] [--rounds 3] [--think-s 3]
        [--browser-args cheap|default] [--post-script-gc] [--client browser|protocol]
        [--placement shared|split]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# `make bench` runs this file directly: put the repository root on the import path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import analysts_procs as procs
from bench import analysts_protocol as protocol
from bench.analysts_report import Phase, report
from dashboard import run_timing
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
# The cheapest Chromium that still draws the pages: no GPU process, no extensions, no
# animations (Streamlit's and plotly's transitions honour reduced motion), no images, one
# raster thread, renderers shared by the contexts. Measured beside the default flags in
# decision 032.
CHEAP_ARGS = [
    *LAUNCH_ARGS,
    "--disable-extensions",
    "--disable-features=Translate,MediaRouter,OptimizationHints,BackForwardCache,PaintHolding",
    "--force-prefers-reduced-motion",
    "--disable-smooth-scrolling",
    "--blink-settings=imagesEnabled=false",
    "--num-raster-threads=1",
    "--renderer-process-limit=2",
]
# Settled: the page's title is drawn, its own marker is there, nothing runs, nothing is stale.
SETTLED_JS = """([title, marker, text]) => {
  const titled = [...document.querySelectorAll('h1')].some((h) => h.textContent.includes(title));
  const marked = [...document.querySelectorAll(marker)].some((e) => e.textContent.includes(text));
  return titled && marked && !document.querySelector('[data-testid=stStatusWidget]')
    && !document.querySelector('[data-stale=true]');
}"""
RECS = ("Recommendations", "[data-testid=stMetricLabel]", "")
SIMULATOR = ("Simulator", "text.gtitle", "p95 latency: ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--think-s", type=float, default=3.0)
    parser.add_argument("--browser-args", choices=["cheap", "default"], default="cheap")
    parser.add_argument(
        "--post-script-gc",
        action="store_true",
        help="Streamlit's default full GC after every script run (.streamlit/config.toml "
        "turns it off): the before figure of decision 032",
    )
    parser.add_argument(
        "--client",
        choices=["browser", "protocol"],
        default="browser",
        help="browser: Chromium sessions (the headline); protocol: Streamlit's websocket "
        "messages, no browser (bench/analysts_protocol.py)",
    )
    parser.add_argument(
        "--placement",
        choices=["shared", "split"],
        default="shared",
        help="shared: browsers and server on every core (the headline); split: browsers on "
        "CPU 0, the server and its pool on the others",
    )
    args = parser.parse_args()
    if args.placement == "split" and len(os.sched_getaffinity(0)) < 2:
        parser.error("--placement split needs two CPUs or more")
    browser_args = CHEAP_ARGS if args.browser_args == "cheap" else LAUNCH_ARGS
    with tempfile.TemporaryDirectory() as scratch:
        url = _seeded(Path(scratch))
        phases = [
            asyncio.run(_phase(url, Path(scratch) / f"streamlit-{n}.log", n, args, browser_args))
            for n in args.sessions
        ]
    client = f"Chromium ({args.browser_args} flags)" if args.client == "browser" else "protocol"
    report(phases, think_s=args.think_s, client=client, placement=_placed(args))
    print(f"full GC after every script run: {'on' if args.post_script_gc else 'off'}")


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


async def _phase(
    url: str, log_path: Path, n: int, args: argparse.Namespace, browser_args: list[str]
) -> Phase:
    """A fresh server, one warm-up visit, then `n` sessions at once; measured while connected."""
    phase = Phase(sessions=n)
    now = DEMO_END + timedelta(hours=1)
    gc_env = {"STREAMLIT_RUNNER_POST_SCRIPT_GC": "true" if args.post_script_gc else "false"}
    with streamlit_server(
        url, now=now, log_path=log_path, timeout_s=120, env_for_port=lambda _port: gc_env
    ) as base_url:
        server_pid = procs.server_pid()
        own_cpus = os.sched_getaffinity(0)
        if args.placement == "split":
            procs.pin_tree(server_pid, own_cpus - {min(own_cpus)})
            procs.pin_tree(os.getpid(), {min(own_cpus)}, skip=server_pid)
        try:
            await _measure(base_url, server_pid, log_path, n, args, browser_args, phase)
        finally:
            procs.pin_tree(os.getpid(), own_cpus, skip=server_pid)
    return phase


async def _measure(
    base_url: str,
    server_pid: int,
    log_path: Path,
    n: int,
    args: argparse.Namespace,
    browser_args: list[str],
    phase: Phase,
) -> None:
    """`n` sessions at once against the running server, Chromium's or protocol clients."""
    from playwright.async_api import async_playwright

    walk = (args.rounds, args.think_s, phase.seconds)
    if args.client == "protocol":
        sessions = [await protocol.connect(base_url, "recommendations") for _ in range(n)]
        await protocol.warm_up(sessions[0])
        for session in sessions:  # from here, tag which logged run is a timed one
            session.log_size = lambda: log_path.stat().st_size
        analysts = [protocol.analyst(s, k, *walk) for k, s in enumerate(sessions)]
        await _timed_phase(analysts, server_pid, log_path, phase)
        phase.logged = [run for session in sessions for run in session.logged]
        for session in sessions:
            await session.ws.close()
        return
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=browser_args)
        pages = [await _open(browser, base_url) for _ in range(n)]
        await _warm_up(pages[0])
        await _timed_phase(
            [_analyst(p, k, *walk) for k, p in enumerate(pages)], server_pid, log_path, phase
        )
        await browser.close()


async def _timed_phase(
    analysts: list[Coroutine[Any, Any, None]], server_pid: int, log_path: Path, phase: Phase
) -> None:
    """Run the analysts at once; the server's logged runs, CPU and memory meanwhile."""
    cpu_before, load_before = procs.tree_cpu_s(server_pid), os.getloadavg()[0]
    own_before = procs.process_cpu_s(server_pid)
    all_before = procs.tree_cpu_s(os.getpid())
    log_offset = log_path.stat().st_size
    started = time.perf_counter()
    await asyncio.gather(*analysts)
    phase.wall_s = time.perf_counter() - started
    with log_path.open("rb") as log:  # the runs the server logged while measured
        log.seek(log_offset)
        logged = log.read()
    phase.runs = run_timing.parse(logged.decode(errors="replace"))
    line = re.compile(run_timing.LINE.pattern.encode())  # where each run's line is in the log
    phase.run_offsets = [log_offset + m.start() for m in line.finditer(logged)]
    phase.cpu_s = procs.tree_cpu_s(server_pid) - cpu_before
    phase.server_own_cpu_s = procs.process_cpu_s(server_pid) - own_before
    phase.browser_cpu_s = procs.tree_cpu_s(os.getpid()) - all_before - phase.cpu_s
    phase.load = (load_before, os.getloadavg()[0])
    phase.rss_kib, phase.hwm_kib = procs.status_kib(server_pid)
    phase.workers_rss_kib = sum(procs.status_kib(pid)[0] for pid in procs.descendants(server_pid))


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


async def _analyst(
    page: Any, k: int, rounds: int, think_s: float, seconds: dict[str, list[float]]
) -> None:
    """Session k's walk; before each timed action it reads the page for its think time (the
    same draws in every N: the generator is seeded by k)."""
    thinking = random.Random(k)

    async def think() -> None:
        await asyncio.sleep(think_s * thinking.uniform(0.5, 1.5))

    await _navigate(page, "Simulator", SIMULATOR)
    await _pick_service(page, k)
    for _ in range(rounds):
        await think()
        await _timed(seconds, "Recommendations", _navigate(page, "Recommendations", RECS))
        await think()
        await _timed(seconds, "Simulator", _navigate(page, "Simulator", SIMULATOR))
        await think()
        await _timed(seconds, "slider", _press_growth(page))


async def _timed(seconds: dict[str, list[float]], kind: str, step: Any) -> None:
    started = time.perf_counter()
    await step
    seconds[kind].append(time.perf_counter() - started)


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


def _placed(args: argparse.Namespace) -> str:
    if args.placement == "shared":
        return "browsers and server on every core (shared)"
    cpus = sorted(os.sched_getaffinity(0))
    return f"browsers on CPU {cpus[0]}, server and pool on CPU {cpus[1:]} (split)"


if __name__ == "__main__":
    main()
