"""cProfile of each fleet page's script run (AppTest, in-process) for bench_pages --profile."""

from __future__ import annotations

import cProfile
import os
import pstats
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.navigation.page import StreamlitPage
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "streamlit_app.py")
PAGES = ("overview", "recommendations", "services", "service_detail")
TOP = 25


def profile_pages(
    url: str, *, now: datetime, service_id: int, pages: tuple[str, ...] = PAGES
) -> None:
    """Each page twice (a cold cache, then a warm one); the cold run's profile is printed."""
    os.environ["TIGHTROPE_DATABASE_URL"] = url
    os.environ["TIGHTROPE_CLOCK_FIXED_AT"] = now.isoformat()
    for name in pages:
        st.cache_data.clear()
        profiler = cProfile.Profile()
        cpu: list[float] = []
        cold_s = _run(name, service_id, profiler, cpu)
        warm_s = _run(name, service_id, None, cpu)
        print(
            f"\n=== {name}: cold {cold_s:.2f} s ({cpu[0]:.2f} s CPU), warm {warm_s:.2f} s "
            f"({cpu[1]:.2f} s CPU) (script run, no browser; CPU of the script thread, profiled "
            "when cold)"
        )
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(TOP)


def _run(name: str, service_id: int, profiler: cProfile.Profile | None, cpu: list[float]) -> float:
    at = AppTest.from_file(APP, default_timeout=600).run()
    at.query_params["service"] = str(service_id)
    if profiler is not None:
        st.cache_data.clear()  # the first run (the default page) filled the shared reads
    started = time.perf_counter()
    original = StreamlitPage.run
    StreamlitPage.run = _timed(original, profiler, cpu)  # type: ignore[method-assign]
    try:
        at.switch_page(f"app_pages/{name}.py").run()
    finally:
        StreamlitPage.run = original  # type: ignore[method-assign]
    if at.exception:
        raise SystemExit(f"{name}: {[e.message for e in at.exception]}")
    return time.perf_counter() - started


def _timed(run: Any, profiler: cProfile.Profile | None, cpu: list[float]) -> Any:
    """StreamlitPage.run under `profiler` (when given), its thread's CPU seconds appended to
    `cpu`: the page runs in AppTest's script thread, and a cProfile.Profile (like
    time.thread_time) only sees the thread it runs in."""

    def timed(self: StreamlitPage) -> None:
        started = time.thread_time()
        if profiler is not None:
            profiler.enable()
        try:
            run(self)
        finally:
            if profiler is not None:
                profiler.disable()
            cpu.append(time.thread_time() - started)

    return timed
