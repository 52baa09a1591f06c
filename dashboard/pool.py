"""The server's shared worker pool (data/pool.py): one per Streamlit process, every session's.

Pages send their CPU-heavy calls (the Simulator's runs, the Recommendations page's SLA replay)
through `shared().run(fn, *args)`; see data/pool.py for why and how a dead worker is handled.
"""

from __future__ import annotations

import streamlit as st

from dashboard import deps
from data.pool import ProcessRunner, Runner, usable_cpus
from data.settings import Settings


def build(settings: Settings) -> Runner:
    """The runner the settings ask for: processes on this machine, one per usable CPU unless
    TIGHTROPE_DASHBOARD_POOL_WORKERS says how many. (A cluster runner plugs in here.)"""
    return ProcessRunner(settings.dashboard_pool_workers or usable_cpus())


def _release(runner: Runner) -> None:
    runner.shutdown()


@st.cache_resource(show_spinner=False, on_release=_release)
def shared() -> Runner:
    """One runner per server process, shared by every session."""
    return build(deps.settings())
