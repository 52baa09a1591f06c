"""Whether the M/M/c model describes a service, decided by a count: the median's answer."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from engine.rules import decide
from engine.stats import nan_percentile
from tests.engine.rules.builders import flat_usage

latencies = st.floats(-1e6, 1e6, allow_subnormal=False) | st.sampled_from([0.0, 80.0, 80.5, 81.0])


@given(
    values=st.lists(latencies, min_size=1, max_size=41),
    pick=st.integers(0, 40),
    how=st.sampled_from(["value", "median", "nudged", "free"]),
    free=st.floats(-2e6, 2e6, allow_subnormal=False),
)
def test_the_count_answers_as_the_median(
    values: list[float], pick: int, how: str, free: float
) -> None:
    """Model latencies at an observed value, at the median itself, a hair off it or anywhere:
    the count either defers (None) or gives `model > median` (stats.nan_percentile)."""
    observed = np.array(values)
    median = nan_percentile(observed, 50.0)
    model_ms = {
        "value": observed[pick % len(observed)],
        "median": median,
        "nudged": math.nextafter(median, math.inf if pick % 2 else -math.inf),
        "free": free,
    }[how]
    settled = decide._against_median(observed, float(model_ms))
    assert settled is None or settled == (model_ms > median)


def test_huge_spreads_defer_to_the_median() -> None:
    """Values near the float limit: the interpolation could overflow, so the count defers."""
    observed = np.array([-1.7e308, 1.7e308])
    assert decide._against_median(observed, 0.0) is None


@given(latency_ms=st.floats(1.0, 400.0), service_ms=st.floats(0.1, 200.0))
def test_uncalibrated_is_the_median_rule(latency_ms: float, service_ms: float) -> None:
    """_latency_uncalibrated on a wavy window: service time × ln 20 above the median p95."""
    observed = latency_ms * (1.0 + 0.5 * np.sin(np.arange(49) / 3.0))
    window = replace(flat_usage(hours=49), latency_p95_ms=observed)
    service_s = service_ms / 1000.0
    expected = 1000.0 * service_s * math.log(20.0) > nan_percentile(observed, 50.0)
    assert decide._latency_uncalibrated(window, service_s) == expected
