"""The server logs each script run's wall and CPU time, and the bench parses those lines back."""

from __future__ import annotations

import logging

import pytest
from streamlit.runtime.scriptrunner_utils.exceptions import StopException

from dashboard import run_timing
from tests.dashboard.conftest import open_page


def test_finished_stopped_and_interrupted_runs_are_logged_and_parsed_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=run_timing.__name__)
    with run_timing.timed("simulator"):
        sum(range(100_000))
    with pytest.raises(StopException), run_timing.timed("api-keys"):
        raise StopException  # st.stop(): the page ends there, normally
    with pytest.raises(RuntimeError), run_timing.timed("recommendations"):
        raise RuntimeError("a rerun stopped this one")

    first, stopped, interrupted = run_timing.parse(caplog.text)

    assert [(r.page, r.finished) for r in (first, stopped, interrupted)] == [
        ("simulator", True), ("api-keys", True), ("recommendations", False),
    ]  # fmt: skip
    assert first.wall_s > 0.0
    assert first.cpu_s >= 0.0


@pytest.mark.usefixtures("seeded_database")
def test_every_page_run_of_the_app_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=run_timing.__name__)

    open_page("app_pages/simulator.py", timeout_s=90)

    pages = [run.page for run in run_timing.parse(caplog.text) if run.finished]
    assert pages == ["overview", "simulator"]
