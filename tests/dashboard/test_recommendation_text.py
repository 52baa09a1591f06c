"""The Recommendations page's text builders, without a page run: labels, effects, verdict text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import numpy as np
import pandas as pd

from dashboard.components.recommendations import text
from data.repos.stored_recommendations import StoredRecommendation
from engine.explanation import Explanation, HistoryWindow
from engine.recommendation import Confidence


@dataclass(frozen=True)
class _Explained:
    """The two fields explanation_text reads, standing in for a stored recommendation."""

    explanation: Explanation = field(default_factory=Explanation)
    confidence: Confidence | None = None


def _explained(**kwargs: Any) -> StoredRecommendation:
    return cast(StoredRecommendation, _Explained(**kwargs))


def test_effect_is_a_saving_or_a_cost_never_a_negative_saving() -> None:
    assert text.effect(22.0, "USD") == "$22/mo"
    assert text.effect(-73.0, "USD") == "+$73/mo cost"


def test_labels_name_id_service_type_and_effect() -> None:
    board = pd.DataFrame(
        {
            "recommendation_id": [7, 9],
            "service": ["checkout", "search"],
            "action_type": ["Rightsize", "Restore SLA"],
            "monthly_savings": [22.0, -73.0],
            "currency": ["USD", "USD"],
        }
    )
    assert text.labels(board) == {
        7: "#7 · checkout · Rightsize · $22/mo",
        9: "#9 · search · Restore SLA · +$73/mo cost",
    }


def test_ms_tells_unmodelled_and_saturated_apart() -> None:
    assert text.ms(float("nan")) == "not modelled"
    assert text.ms(float("inf")) == "unbounded (saturated)"
    assert text.ms(1234.4) == "1,234 ms"


def test_decision_text_only_when_decided() -> None:
    undecided = pd.Series({"decided_by": None, "decided_at": None, "decision_reason": None})
    assert text.decision_text(undecided) == ""
    decided = pd.Series({"decided_by": "ana", "decided_at": None, "decision_reason": "launch"})
    assert text.decision_text(decided) == " · decided by ana — “launch”"


def test_saturated_hours_lead_the_title_only_when_any() -> None:
    none = [np.zeros(3, dtype=bool), np.zeros(3, dtype=bool)]
    assert text.with_saturated_hours("Projected p95 latency", none) == "Projected p95 latency"
    some = [np.zeros(3, dtype=bool), np.array([True, True, False])]
    titled = text.with_saturated_hours("Projected p95 latency", some)
    assert titled.endswith("0 h now → 2 h proposed")


def test_explanation_text_as_sentences() -> None:
    rec = _explained(
        explanation=Explanation(
            why="cpu p95 is 20 % of the request",
            agreeing_rules=("rightsize", "scale_in"),
            window=HistoryWindow(datetime(2026, 1, 1), datetime(2026, 1, 14, 23)),
        ),
        confidence=Confidence(points=336, days=14.0, lower=0.5, upper=0.75, unit="cores"),
    )
    assert text.explanation_text(rec) == (
        "Cpu p95 is 20 % of the request. Proposed alike by the rules "
        f"{text.TYPE_LABELS['rightsize']}, {text.TYPE_LABELS.get('scale_in', 'scale_in')}; "
        "offered once. Based on 336 hourly points over 14 days; confidence band 0.50 – 0.75 "
        "cores. History 2026-01-01T00:00:00 to 2026-01-14T23:00:00 (UTC)."
    )
    assert text.explanation_text(_explained()) == ""
