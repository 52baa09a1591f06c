"""What one Chromium session spends per settle of bench_analysts.py's walk, by action kind.

One session, one fresh server, the same walk as bench_analysts.py (Recommendations → Simulator
→ one "Demand growth" step, --rounds times, no think time). For each action: the CPU seconds
of every Chromium process (/proc), the renderer main thread's task, script, layout and style
seconds (CDP Performance.getMetrics), and the websocket bytes the server sent. A yardstick for
changes that cut the browser's work per settle (decision 032, session 8).

    .venv/bin/python bench/analysts_profile.py [--rounds 5]
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
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import analysts_procs as procs
from bench import bench_analysts as walk
from tests.support.browser import CHROMIUM
from tests.support.streamlit_server import streamlit_server

METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


async def _profile(url: str, log_path: Path, rounds: int) -> dict[str, list[dict[str, float]]]:
    from playwright.async_api import async_playwright

    samples: dict[str, list[dict[str, float]]] = defaultdict(list)
    with streamlit_server(url, now=walk.DEMO_END + timedelta(hours=1), log_path=log_path) as base:
        server_pid = procs.server_pid()
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=walk.CHEAP_ARGS
            )
            page = await walk._open(browser, base)
            received = [0]
            page.on("websocket", lambda ws: ws.on("framereceived", lambda f: _count(received, f)))
            await page.reload()
            await walk._settled(page, walk.RECS)
            cdp = await page.context.new_cdp_session(page)
            await cdp.send("Performance.enable")
            await walk._warm_up(page)
            await walk._navigate(page, "Simulator", walk.SIMULATOR)
            await walk._pick_service(page, 3)

            async def measure(kind: str, action: Callable[[], Awaitable[None]]) -> None:
                before = await _snapshot(cdp, server_pid, received)
                started = time.perf_counter()
                await action()
                after = await _snapshot(cdp, server_pid, received)
                sample = {k: after[k] - before[k] for k in after}
                sample["wall_s"] = time.perf_counter() - started
                samples[kind].append(sample)

            for _ in range(rounds):
                await measure(
                    "Recommendations", lambda: walk._navigate(page, "Recommendations", walk.RECS)
                )
                await measure(
                    "Simulator", lambda: walk._navigate(page, "Simulator", walk.SIMULATOR)
                )
                await measure("slider", lambda: walk._press_growth(page))
            await browser.close()
    return samples


def _count(received: list[int], frame: Any) -> None:
    received[0] += len(frame)


async def _snapshot(cdp: Any, server_pid: int, received: list[int]) -> dict[str, float]:
    metrics = {m["name"]: m["value"] for m in (await cdp.send("Performance.getMetrics"))["metrics"]}
    server_s = procs.tree_cpu_s(server_pid)
    return {
        **{name: float(metrics[name]) for name in METRICS},
        "chromium_cpu_s": procs.tree_cpu_s(os.getpid()) - server_s,
        "server_cpu_s": server_s,
        "ws_kib": received[0] / 1024,
        "nodes": float(metrics["Nodes"]),
    }


def _print(samples: dict[str, list[dict[str, float]]]) -> None:
    for kind, rows in samples.items():
        means = {key: statistics.mean(row[key] for row in rows) for key in rows[0]}
        print(
            f"{kind:<15} chromium CPU {means['chromium_cpu_s']:.3f} s (main thread: task "
            f"{means['TaskDuration']:.3f}, script {means['ScriptDuration']:.3f}, layout "
            f"{means['LayoutDuration']:.3f}, style {means['RecalcStyleDuration']:.3f}); server "
            f"{means['server_cpu_s']:.3f} s; ws {means['ws_kib']:.0f} KiB; wall "
            f"{means['wall_s']:.2f} s  ({len(rows)} settles)"
        )
    total = [row["chromium_cpu_s"] for rows in samples.values() for row in rows]
    print(
        f"all            chromium CPU per settle {statistics.mean(total):.3f} s; load "
        f"{os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = walk._seeded(Path(scratch))
        _print(asyncio.run(_profile(url, Path(scratch) / "streamlit.log", args.rounds)))


if __name__ == "__main__":
    main()
