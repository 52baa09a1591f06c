"""lookback's shortcut for an always-on window it keeps whole gives the general rule's window."""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.cost import running_mask
from engine.profiles import PROFILES
from engine.rules.sizing import lookback
from engine.usage import UsageWindow
from tests.engine.rules.builders import flat_usage
from tests.factories import make_k8s_config

NAT = np.datetime64("NaT")


def _by_the_rule(usage: UsageWindow, schedule: str, days: int) -> UsageWindow:
    """The general rule, written out: hours from the last hour's day-window on, off-schedule
    hours blanked (every field a copy, whatever was kept)."""
    first = usage.hour_start[-1] - np.timedelta64(days * 24 - 1, "h")
    keep = usage.hour_start >= first
    off = ~running_mask(schedule, usage.hour_start[keep])
    kept = usage.rows(keep)

    def blanked(values: np.ndarray) -> np.ndarray:
        return np.where(off, np.nan, values)

    return UsageWindow(
        kept.service_id,
        kept.hour_start,
        blanked(kept.cpu_used_mean_cores),
        blanked(kept.cpu_used_p95_cores),
        blanked(kept.memory_used_max_gib),
        blanked(kept.requests_per_s),
        blanked(kept.latency_p95_ms),
        blanked(kept.error_rate_pct),
    )


@settings(max_examples=150, deadline=None)
@given(
    hours=st.integers(1, 400),
    days=st.integers(1, 20),
    schedule=st.sampled_from(["always", "weekdays 08-18"]),
    shuffled=st.booleans(),
    nat_at=st.none() | st.integers(0, 399),
    seed=st.integers(0, 2**16),
)
def test_lookback_equals_the_general_rule(
    hours: int, days: int, schedule: str, shuffled: bool, nat_at: int | None, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    usage = flat_usage(hours, cpu_p95_cores=rng.uniform(0, 4, hours))
    starts = usage.hour_start.copy()
    if shuffled:  # hours out of order: the last one still names the window's end
        rng.shuffle(starts)
    if nat_at is not None and nat_at < hours - 1:  # a missing timestamp (not the last)
        starts[nat_at] = NAT
    usage = replace(usage, hour_start=starts)
    profile = replace(PROFILES["balanced"], lookback_days=days)

    found = lookback(usage, make_k8s_config(schedule=schedule), profile)

    expected = _by_the_rule(usage, schedule, days)
    for f in fields(UsageWindow):
        np.testing.assert_array_equal(getattr(found, f.name), getattr(expected, f.name), f.name)


def test_an_always_on_window_inside_the_lookback_is_returned_as_it_is() -> None:
    usage = flat_usage(48)
    profile = replace(PROFILES["balanced"], lookback_days=2)

    assert lookback(usage, make_k8s_config(), profile) is usage
    assert lookback(usage, make_k8s_config(), replace(profile, lookback_days=1)) is not usage
