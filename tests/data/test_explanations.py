"""The stored explanation object: rows written before the typed explanation read back whole."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from data.repos.explanations import explanation_from_json, explanation_to_json
from engine.explanation import HistoryWindow, ProfileUsed

# As decide.explain wrote a sizing rule's details before the explanation was typed.
SIZING_ROW: dict[str, Any] = {
    "rule": "rightsize",
    "profile": "balanced",
    "cpu_percentile": 95.0,
    "cpu_headroom_pct": 20.0,
    "memory_headroom_pct": 15.0,
    "window_start": "2026-01-01T00:00:00",
    "window_end": "2026-01-14T23:00:00",
    "data_points": 336,
    "candidates_judged": 6,
    "why": "cheapest of 8 candidates that passes the SLA engine",
    "candidates_searched": 8,
    "current_fails_sla": True,
    "current_reasons": ["p95 latency above 200 ms"],
    "agreeing_rules": ["rightsize", "joint"],
}
COMMITMENT_ROW: dict[str, Any] = {
    "rule": "commitment",
    "commitment_usd_per_hour": 10.0,
    "quantile": 0.3,
    "hours": 720,
    "why": "the 30th percentile of hourly spend minimises expected cost",
}
EMPTY_SCENARIO_ROW: dict[str, Any] = {
    "why": "from scenario one",
    "simulation_id": 4,
    "scenario": {"growth_pct": 10.0, "replicas": None},
    "window_start": "",
    "window_end": "",
}


def test_a_sizing_row_reads_back_typed() -> None:
    explanation = explanation_from_json(SIZING_ROW)

    assert explanation.profile == ProfileUsed("balanced", 95.0, 20.0, 15.0)
    assert explanation.window == HistoryWindow(datetime(2026, 1, 1), datetime(2026, 1, 14, 23))
    assert explanation.why == SIZING_ROW["why"]
    assert explanation.agreeing_rules == ("rightsize", "joint")
    assert explanation.fact("current_reasons") == ["p95 latency above 200 ms"]
    assert explanation.fact("profile") is None  # typed, not left among the facts


@pytest.mark.parametrize(
    "row",
    [
        SIZING_ROW,
        COMMITMENT_ROW,
        EMPTY_SCENARIO_ROW,
        {"window_start": None, "window_end": None},
        {},
    ],
)
def test_every_stored_shape_is_written_back_as_it_was(row: dict[str, Any]) -> None:
    assert explanation_to_json(explanation_from_json(row)) == row


def test_an_offset_window_is_read_as_utc_hours() -> None:
    row = {"window_start": "2026-01-01T01:00:00+01:00", "window_end": "2026-01-02T00:00:00Z"}

    window = explanation_from_json(row).window

    assert window == HistoryWindow(datetime(2026, 1, 1), datetime(2026, 1, 2))


def test_a_window_that_is_not_a_time_stays_a_fact() -> None:
    explanation = explanation_from_json(EMPTY_SCENARIO_ROW)

    assert explanation.window is None
    assert explanation.fact("window_end") == ""
    assert explanation.fact("scenario") == {"growth_pct": 10.0, "replicas": None}
