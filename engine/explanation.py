"""Why a rule proposed what it did: profile, history window, reasons, and the rule's own facts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from operator import itemgetter
from typing import TypeAlias

from engine.pickling import by_constructor

# A rule's own facts are JSON-shaped (numbers, text, lists, a scenario's fields): they are shown
# "as computed" and stored as they are, so a rule can add one without a schema change.
FactValue: TypeAlias = (
    "bool | int | float | str | Sequence[FactValue] | Mapping[str, FactValue] | None"
)
Facts: TypeAlias = tuple[tuple[str, FactValue], ...]
_name = itemgetter(0)  # a fact's name: the sort key of Explanation.facts


@by_constructor
@dataclass(frozen=True, slots=True)
class ProfileUsed:
    """The sizing profile a rule applied (engine/profiles.py)."""

    name: str
    cpu_percentile: float
    cpu_headroom_pct: float
    memory_headroom_pct: float


@by_constructor
@dataclass(frozen=True, slots=True)
class HistoryWindow:
    """The hourly history a rule judged: hour starts in UTC (naive), both ends included."""

    first_hour_utc: datetime
    last_hour_utc: datetime


@by_constructor
@dataclass(frozen=True, slots=True)
class Explanation:
    """What a reviewer reads under "Why this recommendation"; None where a rule says nothing."""

    why: str | None = None
    profile: ProfileUsed | None = None
    window: HistoryWindow | None = None
    agreeing_rules: tuple[str, ...] | None = None  # set when rules proposing alike were merged
    facts: Facts = ()  # kept sorted by name: equal whatever order they were built or stored in

    def __post_init__(self) -> None:
        object.__setattr__(self, "facts", tuple(sorted(self.facts, key=_name)))

    def fact(self, name: str) -> FactValue:
        """The rule's fact `name`, None when it has none."""
        return dict(self.facts).get(name)

    def with_facts(self, **more: FactValue) -> Explanation:
        """This explanation with `more` facts added (replacing any of the same name)."""
        kept = tuple((key, value) for key, value in self.facts if key not in more)
        return replace(self, facts=kept + tuple(more.items()))


NO_EXPLANATION = Explanation()
