"""WindowStats answers what the sizing rules asked of the window before, bit for bit."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.profiles import PROFILES
from engine.rules.window_stats import BAND_PERCENTILES, window_stats
from engine.sla import window_peaks
from engine.stats import nan_percentiles
from tests.engine.rules.builders import flat_usage

cpu_hours = arrays(
    np.float64,
    st.integers(1, 600),
    elements=st.one_of(
        st.floats(0.0, 1e4),
        st.floats(0.0, 1e-300),  # subnormal hours: x / r may round to 0 (the order holds)
        st.sampled_from([math.nan, math.inf, 0.0, 1.0]),
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    cpu=cpu_hours,
    replicas=st.integers(0, 97),
    percentile=st.sampled_from([50.0, 90.0, 95.0, 99.0, 100.0]),
)
def test_percentiles_per_replica_equal_the_partition_of_the_divided_hours(
    cpu: np.ndarray, replicas: int, percentile: float
) -> None:
    profile = replace(PROFILES["balanced"], cpu_percentile=percentile)
    stats = window_stats(flat_usage(len(cpu), cpu_p95_cores=cpu), profile)
    wanted = (percentile, *BAND_PERCENTILES)

    got = stats.cpu_percentiles(wanted, replicas)

    expected = nan_percentiles(cpu / max(replicas, 1), wanted)
    assert [x.hex() for x in got] == [x.hex() for x in expected]  # NaN, ±0 and all bits


@settings(max_examples=200, deadline=None)
@given(cpu=cpu_hours)
def test_counts_days_and_peak_are_the_windows(cpu: np.ndarray) -> None:
    usage = flat_usage(len(cpu), cpu_p95_cores=cpu)

    stats = window_stats(usage, PROFILES["balanced"])

    assert stats.finite_points == np.count_nonzero(np.isfinite(cpu))
    assert stats.days == usage.days
    peak = float(np.nanmax(cpu)) if (~np.isnan(cpu)).any() else math.nan
    assert stats.cpu_peak_cores().hex() == peak.hex()
    assert stats.screen_peaks is not None
    assert [float(x).hex() for x in stats.screen_peaks] == [
        float(x).hex() for x in window_peaks(usage)
    ]


@settings(max_examples=200, deadline=None)
@given(
    memory=arrays(
        np.float64,
        st.integers(1, 300),
        elements=st.one_of(
            st.floats(0.0, 1e4), st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0])
        ),
    )
)
def test_memory_max_is_the_largest_finite_hour_as_needs_read_it(memory: np.ndarray) -> None:
    usage = flat_usage(len(memory), memory_gib=memory)

    stats = window_stats(usage, PROFILES["balanced"])

    finite = memory[np.isfinite(memory)]
    if len(finite) == 0:
        assert stats.memory_max_gib is None
    else:
        assert stats.memory_max_gib is not None
        assert stats.memory_max_gib.hex() == float(np.max(finite)).hex()
