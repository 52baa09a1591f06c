"""nan_percentiles against numpy's nanpercentile, which it replaces on the hot path."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.stats import nan_percentile, nan_percentiles

values = arrays(
    np.float64,
    st.integers(1, 400),
    elements=st.one_of(st.floats(-1e6, 1e6), st.just(math.nan)),
)


@settings(max_examples=300, deadline=None)
@given(series=values, percentile=st.floats(0.0, 100.0))
def test_matches_numpy_nanpercentile(series: np.ndarray, percentile: float) -> None:
    expected = np.nanpercentile(series, percentile) if (~np.isnan(series)).any() else math.nan

    got = nan_percentile(series, percentile)

    # numpy's lerp differs in the last bits: tolerance relative to the series' magnitude.
    scale = float(np.nanmax(np.abs(series))) if (~np.isnan(series)).any() else 1.0
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12 * (scale + 1.0), nan_ok=True)


def test_several_percentiles_from_one_sort() -> None:
    series = np.array([4.0, math.nan, 1.0, 3.0, 2.0])

    assert nan_percentiles(series, (0.0, 50.0, 95.0, 100.0)) == pytest.approx((1.0, 2.5, 3.85, 4.0))


def test_all_nan_is_nan() -> None:
    assert math.isnan(nan_percentile(np.full(3, math.nan), 95.0))


def _by_sort(series: np.ndarray, percentiles: tuple[float, ...]) -> tuple[float, ...]:
    """The rule as it was written before the partition: sort everything, then interpolate."""
    ordered, count = np.sort(series), int(np.count_nonzero(~np.isnan(series)))
    if count == 0:
        return tuple(math.nan for _ in percentiles)
    out = []
    for p in percentiles:
        rank = (count - 1) * p / 100.0
        low = math.floor(rank)
        below, above = float(ordered[low]), float(ordered[min(low + 1, count - 1)])
        out.append(below if below == above else below + (above - below) * (rank - low))
    return tuple(out)


@settings(max_examples=300, deadline=None)
@given(
    series=arrays(
        np.float64,
        st.integers(1, 3000),
        elements=st.one_of(st.floats(-1e6, 1e6), st.sampled_from([math.nan, math.inf, -math.inf])),
    ),
    percentiles=st.lists(st.floats(0.0, 100.0), min_size=1, max_size=3),
)
def test_the_partition_gives_the_sorted_values_bit_for_bit(
    series: np.ndarray, percentiles: list[float]
) -> None:
    """Recommendations must not move: the partition picks the very values a full sort would."""
    got, expected = (
        nan_percentiles(series, tuple(percentiles)),
        _by_sort(series, tuple(percentiles)),
    )
    assert np.array_equal(np.array(got), np.array(expected), equal_nan=True)
