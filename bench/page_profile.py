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
        cold_s = _run(name, service_id, profiler)
        warm_s = _run(name, service_id, None)
        print(f"\n=== {name}: cold {cold_s:.2f} s, warm {warm_s:.2f} s (script run, no browser)")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(TOP)


def _run(name: str, service_id: int, profiler: cProfile.Profile | None) -> float:
    at = AppTest.from_file(APP, default_timeout=600).run()
    at.query_params["service"] = str(service_id)
    if profiler is not None:
        st.cache_data.clear()  # the first run (the default page) filled the shared reads
    started = time.perf_counter()
    original = StreamlitPage.run
    if profiler is not None:
        StreamlitPage.run = _profiled(original, profiler)  # type: ignore[method-assign]
    try:
        at.switch_page(f"app_pages/{name}.py").run()
    finally:
        StreamlitPage.run = original  # type: ignore[method-assign]
    if at.exception:
        raise SystemExit(f"{name}: {[e.message for e in at.exception]}")
    return time.perf_counter() - started


def _profiled(run: Any, profiler: cProfile.Profile) -> Any:
    """StreamlitPage.run under `profiler`: the page runs in AppTest's script thread, and a
    cProfile.Profile only sees the thread that enabled it."""

    def profiled(self: StreamlitPage) -> None:
        profiler.enable()
        try:
            run(self)
        finally:
            profiler.disable()

    return profiled
