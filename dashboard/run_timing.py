"""Each script run's wall and CPU seconds, logged by the server itself (one INFO line a run).

Why: a browser's "page settled" includes its own rendering and the machine's other tenants;
the server's share of a settle is its script runs. bench/bench_analysts.py reads these lines
(decision 032), and an operator reads them as the dashboard's access log of page runs.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from streamlit.runtime.scriptrunner_utils.exceptions import StopException

log = logging.getLogger(__name__)
LINE = re.compile(
    r"script run (?P<page>\S+) wall_ms=(?P<wall>[\d.]+) cpu_ms=(?P<cpu>[\d.]+) (?P<end>\w+)"
)


@dataclass(frozen=True, slots=True)
class ScriptRun:
    """One logged run: its page, wall and script-thread CPU seconds, and how it ended."""

    page: str
    wall_s: float
    cpu_s: float
    finished: bool  # False: a newer rerun of the same session interrupted it, or it raised


@contextmanager
def timed(page: str) -> Iterator[None]:
    """Log the run of `page` when it ends: `finished` when the page returns or calls
    st.stop(); `interrupted` when a newer rerun of the session stopped it (Streamlit raises
    RerunException through the page) or it raised."""
    started_s, cpu_started_s = time.perf_counter(), time.thread_time()
    end = "interrupted"
    try:
        yield
        end = "finished"
    except StopException:
        end = "finished"  # st.stop(): the page chose to end here
        raise
    finally:
        wall_ms = (time.perf_counter() - started_s) * 1000.0
        cpu_ms = (time.thread_time() - cpu_started_s) * 1000.0
        log.info("script run %s wall_ms=%.1f cpu_ms=%.1f %s", page, wall_ms, cpu_ms, end)


def parse(text: str) -> list[ScriptRun]:
    """Every run logged in `text` (a server log), in order."""
    return [
        ScriptRun(
            m["page"], float(m["wall"]) / 1000.0, float(m["cpu"]) / 1000.0, m["end"] == "finished"
        )
        for m in LINE.finditer(text)
    ]
