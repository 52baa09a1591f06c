"""Result values pickle by their constructor and come back equal, field for field."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from datetime import datetime

from engine.capacity import CapacityConfig
from engine.explanation import Explanation, HistoryWindow, ProfileUsed
from engine.pickling import by_constructor
from engine.recommendation import Confidence, Money, Recommendation, Risk, SlaSummary


def _full_recommendation() -> Recommendation:
    current = CapacityConfig("vm", 3, 2, 2, 2.0, 8.0, "m5.large")
    proposed = CapacityConfig(
        "kubernetes", 2, 1, 1, 0.5, 1.0, None, 0.5, 1.0, 10.0, 5.0, "weekdays"
    )
    explanation = Explanation(
        why="cheapest",
        profile=ProfileUsed("balanced", 90.0, 15.0, 15.0),
        window=HistoryWindow(datetime(2026, 8, 3), datetime(2026, 10, 31, 23)),
        agreeing_rules=("joint",),
        facts=(("z", [1, "a"]), ("a", {"k": 1.5})),
    )
    return Recommendation(
        kind="restore_sla", outcome="recommend", reason="restore", service_id=7,
        current=current, proposed=proposed, cost_current=Money(1.0, 0.9),
        cost_proposed=Money(2.0, 1.8), risk=Risk(3, {"latency": 3}),
        sla=SlaSummary(True, 120.5, 99.5, 0.7, True, False, ("why",)),
        confidence=Confidence(2160, 90.0, 0.1, 0.2, "cores"), explanation=explanation,
        effort="high", restart_needed=True, rollback_possible=False, rule="joint",
    )  # fmt: skip


def test_a_recommendation_comes_back_equal_with_every_field() -> None:
    rec = _full_recommendation()

    back = pickle.loads(pickle.dumps(rec, protocol=pickle.HIGHEST_PROTOCOL))

    assert back == rec
    assert repr(back) == repr(rec)
    assert back.explanation.facts == rec.explanation.facts


def test_values_pickle_through_their_constructor_not_setstate() -> None:
    reduced = Money(1.0, 2.0).__reduce__()

    assert reduced == (Money, (1.0, 2.0))


def test_a_one_field_class_pickles_its_value_as_one_argument() -> None:
    @by_constructor
    @dataclass(frozen=True, slots=True)
    class Pair:
        items: tuple[int, int]

    assert Pair((1, 2)).__reduce__() == (Pair, ((1, 2),))
