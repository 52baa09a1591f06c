"""An engine Explanation as the flat JSON object stored under explanation["details"], and back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from engine.explanation import Explanation, FactValue, HistoryWindow, ProfileUsed

_PROFILE_KEYS = ("profile", "cpu_percentile", "cpu_headroom_pct", "memory_headroom_pct")
_WINDOW_KEYS = ("window_start", "window_end")
_TYPED_KEYS = frozenset((*_PROFILE_KEYS, *_WINDOW_KEYS, "why", "agreeing_rules"))


def explanation_to_json(explanation: Explanation) -> dict[str, Any]:
    """The stored form: one flat object, as rows written before the typed explanation hold it."""
    details: dict[str, Any] = {}
    if explanation.profile is not None:
        profile = explanation.profile
        details["profile"] = profile.name
        details["cpu_percentile"] = profile.cpu_percentile
        details["cpu_headroom_pct"] = profile.cpu_headroom_pct
        details["memory_headroom_pct"] = profile.memory_headroom_pct
    if explanation.window is not None:
        details["window_start"] = _hour_text(explanation.window.first_hour_utc)
        details["window_end"] = _hour_text(explanation.window.last_hour_utc)
    if explanation.why is not None:
        details["why"] = explanation.why
    if explanation.agreeing_rules is not None:
        details["agreeing_rules"] = list(explanation.agreeing_rules)
    details.update(explanation.facts)
    return details


def explanation_from_json(details: Mapping[str, Any]) -> Explanation:
    """Parse a stored object (any age); keys it cannot type stay facts, so nothing is lost."""
    profile = _profile(details)
    window = _window(details)
    why, agreeing = details.get("why"), details.get("agreeing_rules")
    typed = set(_TYPED_KEYS)
    if profile is None:
        typed -= set(_PROFILE_KEYS)
    if window is None:
        typed -= set(_WINDOW_KEYS)
    if not isinstance(why, str):
        typed.discard("why")
    if not isinstance(agreeing, list):
        typed.discard("agreeing_rules")
    return Explanation(
        why=why if isinstance(why, str) else None,
        profile=profile,
        window=window,
        agreeing_rules=tuple(str(rule) for rule in agreeing)
        if isinstance(agreeing, list)
        else None,
        facts=_facts(details, typed),
    )


def _facts(details: Mapping[str, Any], typed: set[str]) -> tuple[tuple[str, FactValue], ...]:
    return tuple((str(key), value) for key, value in details.items() if key not in typed)


def _profile(details: Mapping[str, Any]) -> ProfileUsed | None:
    name = details.get("profile")
    numbers = [_number(details.get(key)) for key in _PROFILE_KEYS[1:]]
    if not isinstance(name, str) or None in numbers:
        return None
    cpu_percentile, cpu_headroom_pct, memory_headroom_pct = (n or 0.0 for n in numbers)
    return ProfileUsed(name, cpu_percentile, cpu_headroom_pct, memory_headroom_pct)


def _window(details: Mapping[str, Any]) -> HistoryWindow | None:
    first, last = (details.get(key) for key in _WINDOW_KEYS)
    if not isinstance(first, str) or not isinstance(last, str):
        return None
    try:
        return HistoryWindow(_naive_utc(first), _naive_utc(last))
    except ValueError:  # "" (a scenario over no hours) or text from elsewhere: kept as facts
        return None


def _naive_utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def _hour_text(hour: datetime) -> str:
    """Fixed-width ISO text without offset (data/repos/job_status.py compares it as text)."""
    return hour.isoformat()


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
