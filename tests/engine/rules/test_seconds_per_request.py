"""judge_many's CPU-seconds per request, worked out per batch: each window's own, bit for bit."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.rules.decide import seconds_per_request
from engine.sla import cpu_seconds_per_request
from engine.usage import UsageWindow
from tests.engine.rules.builders import flat_usage

hour_values = st.one_of(
    st.floats(0.0, 1e4),
    st.floats(-1.0, 0.0),  # negative CPU is clamped, negative traffic is not traffic
    st.sampled_from([math.nan, math.inf, 0.0, -0.0, 0.005, 0.01]),  # quiet: below 0.01 req/s
)


@st.composite
def windows(draw: st.DrawFn) -> UsageWindow | None:
    """A window of 1-3 lengths' worth of hours with odd values, or None (no plan)."""
    if draw(st.booleans()) and draw(st.booleans()):
        return None
    hours = draw(st.sampled_from([1, 7, 24, 50]))
    cpu = draw(arrays(np.float64, hours, elements=hour_values))
    rate = draw(arrays(np.float64, hours, elements=hour_values))
    usage = flat_usage(hours, rps=rate)
    return dataclasses.replace(usage, cpu_used_mean_cores=cpu)


@settings(max_examples=200, deadline=None)
@given(batch=st.lists(windows(), min_size=0, max_size=12))
def test_each_window_gets_its_own_cpu_seconds_per_request_bit_for_bit(
    batch: list[UsageWindow | None],
) -> None:
    got = seconds_per_request(batch)

    expected = [math.nan if w is None else cpu_seconds_per_request(w) for w in batch]
    assert [x.hex() for x in got] == [x.hex() for x in expected]
