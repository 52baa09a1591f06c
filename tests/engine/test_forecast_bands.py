"""Banded cost forecasts on synthetic series of known structure: point accuracy, interval
coverage on simulated (seeded) noise, nesting and horizon monotonicity, the budget probability.

Coverage assertions use 200 series × 28 held-out days and margins several standard errors wide;
every random draw is seeded, so a run is reproducible and cannot flake.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.arrays import FloatArray
from engine.budgets import check_budget
from engine.forecast_bands import forecast_cost
from engine.forecast_points import align_level_shifts, seasonal_naive
from engine.month_forecast import forecast_month_outlook

SERIES, HISTORY, HORIZON = 200, 91, 28
WEEK = np.array([100.0, 104.0, 103.0, 101.0, 98.0, 60.0, 55.0])  # weekdays, then a cheap weekend


def _weekly(rng: np.random.Generator, *, noise: float, slope: float = 0.0) -> FloatArray:
    days = np.arange(HISTORY + HORIZON)
    truth = WEEK[days % 7] + slope * days
    return np.asarray(truth + rng.normal(0.0, noise, (SERIES, days.size)), dtype=np.float64)


def _coverage(series: FloatArray, **kwargs: object) -> tuple[float, float, float]:
    """(80 % coverage, 95 % coverage, MAE) on the held-out days after HISTORY."""
    fc = forecast_cost(series[:, :HISTORY], HORIZON, **kwargs)  # type: ignore[arg-type]
    actual = series[:, HISTORY:]
    inside80 = (actual >= fc.daily.lower80) & (actual <= fc.daily.upper80)
    inside95 = (actual >= fc.daily.lower95) & (actual <= fc.daily.upper95)
    return float(inside80.mean()), float(inside95.mean()), float(np.abs(actual - fc.point).mean())


def test_a_pure_weekly_pattern_is_forecast_to_its_noise_and_covered_as_promised() -> None:
    series = _weekly(np.random.default_rng(1), noise=3.0)

    cover80, cover95, mae = _coverage(series)

    # N(0, 3) noise: the best possible MAE is 3·√(2/π) ≈ 2.39; estimation adds a little.
    assert mae < 3.3
    assert 0.74 <= cover80 <= 0.88
    assert 0.91 <= cover95 <= 0.985


def test_a_trend_is_followed_where_seasonal_naive_lags_it() -> None:
    series = _weekly(np.random.default_rng(2), noise=2.0, slope=0.5)  # +15 a month

    cover80, _, mae = _coverage(series)
    naive = seasonal_naive(series[:, :HISTORY], HORIZON)
    naive_mae = float(np.abs(series[:, HISTORY:] - naive).mean())

    assert mae < 0.6 * naive_mae
    assert cover80 >= 0.74  # the intervals know about the lag from their own past errors


def test_a_level_shift_named_by_the_caller_moves_the_forecast_to_the_new_level() -> None:
    rng = np.random.default_rng(3)
    series = _weekly(rng, noise=2.0)
    shift_day = HISTORY - 14  # a change applied two weeks before the forecast: −30 a day
    series[:, shift_day:] -= 30.0

    _, _, told_mae = _coverage(series, shift_at=np.full(SERIES, shift_day))
    _, _, blind_mae = _coverage(series)

    assert told_mae < 3.0
    assert told_mae < blind_mae


def test_aligning_a_shift_keeps_the_weekly_pattern() -> None:
    before = np.tile(WEEK, 4)
    history = np.concatenate([before, np.tile(WEEK - 20.0, 2)])

    aligned = align_level_shifts(history[None, :], np.array([28]))

    np.testing.assert_allclose(aligned[0], np.tile(WEEK - 20.0, 6))


def test_zeros_forecast_zero_with_empty_bands_and_no_chance_of_any_cost() -> None:
    zeros = np.zeros((1, 63))
    weekend_off = np.tile(np.array([5.0, 5.0, 5.0, 5.0, 5.0, 0.0, 0.0]), 9)[None, :]

    fc = forecast_cost(np.vstack([zeros, weekend_off]), 14)

    assert np.all(fc.point[0] == 0.0)
    assert np.all(fc.daily.upper95[0] == 0.0)
    assert fc.exceed_probability(np.array([0.01, 1e6]))[0] == 0.0
    np.testing.assert_allclose(fc.point[1], np.tile([5, 5, 5, 5, 5, 0, 0], 2), atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.integers(8, 70), elements=st.floats(0, 1e4)),
    st.integers(1, 35),
)
def test_intervals_are_nested_and_never_narrow_with_the_horizon(
    history: FloatArray, horizon: int
) -> None:
    fc = forecast_cost(history, horizon)

    for bands, centre in ((fc.daily, fc.point), (fc.cumulative, fc.cumulative_point)):
        assert np.all(bands.lower95 <= bands.lower80 + 1e-9)
        assert np.all(bands.lower80 <= centre + 1e-9)
        assert np.all(centre <= bands.upper80 + 1e-9)
        assert np.all(bands.upper80 <= bands.upper95 + 1e-9)
        for upper in (bands.upper80, bands.upper95):
            assert np.all(np.diff(upper - centre, axis=1) >= -1e-6 * (1 + np.abs(upper[:, 1:])))


def test_the_chance_of_exceeding_is_a_half_at_the_forecast_and_sure_once_spent() -> None:
    history = _weekly(np.random.default_rng(4), noise=3.0)[0, :HISTORY]
    outlook = forecast_month_outlook(history, month_days_observed=10, days_in_month=30)
    low, high = outlook.month_end_range(80)

    assert outlook.exceed_probability(outlook.forecast_cost) == pytest.approx(0.5)
    assert outlook.exceed_probability(high) == pytest.approx(0.1, abs=1e-6)
    assert outlook.exceed_probability(low) == pytest.approx(0.9, abs=1e-6)
    spent = check_budget(
        amount=outlook.month_to_date_cost - 1,
        month_to_date_cost=outlook.month_to_date_cost,
        forecast_cost=outlook.forecast_cost,
        exceed_probability=0.3,
    )
    assert (spent.state, spent.exceed_probability) == ("over", 1.0)


def test_the_chance_of_exceeding_is_calibrated_on_simulated_months() -> None:
    """Budgets set at each series' 80 % upper month-end edge are exceeded in about 10 % of the
    simulated months (sums of 20 noisy days; 200 months, so ±5 points is over 2 σ)."""
    series = _weekly(np.random.default_rng(5), noise=6.0)
    exceeded = []
    for row in series:
        outlook = forecast_month_outlook(row[:HISTORY], month_days_observed=10, days_in_month=30)
        budget = outlook.month_end_range(80)[1]
        month_total = row[HISTORY - 10 : HISTORY + 20].sum()
        exceeded.append(month_total > budget)
    assert 0.02 <= float(np.mean(exceeded)) <= 0.15


def _long_and_short(rng: np.random.Generator) -> FloatArray:
    """100 rows at $100/day with N(0, 3) noise over the whole window, then 100 rows ten times
    larger (same noise-to-level ratio) that start 11 days before the origin."""
    days = HISTORY + HORIZON
    long = 100.0 + rng.normal(0.0, 3.0, (100, days))
    short = 1000.0 + rng.normal(0.0, 30.0, (100, days))
    short[:, : HISTORY - 11] = np.nan
    return np.asarray(np.vstack([long, short]), dtype=np.float64)


def test_a_short_series_borrows_the_scale_free_errors_of_the_long_ones() -> None:
    series = _long_and_short(np.random.default_rng(7))

    fc = forecast_cost(series[:, :HISTORY], HORIZON)
    half80 = np.median(fc.daily.upper80 - fc.point, axis=0)
    long_half, short_half = (
        np.median((fc.daily.upper80 - fc.point)[rows, 0])
        for rows in (slice(0, 100), slice(100, None))
    )

    # Own errors: plenty on the long rows, too few on the short ones (origins need a week).
    assert fc.calibration_errors[:100].min() >= 1000
    assert fc.calibration_errors[100:].max() < 19
    # Long rows: about z₀.₉ × 3 plus estimation error. Short rows: the same band × their scale
    # (the median of their last week: 1000 ± 2 %), not their own 4 origins' largest error.
    assert 3.6 <= long_half <= 5.5
    assert 0.93 <= short_half / (10 * long_half) <= 1.07
    assert np.all(np.diff(half80) >= -1e-9)  # never narrowing with the horizon


def test_a_series_forecast_alone_keeps_its_own_calibration() -> None:
    series = _long_and_short(np.random.default_rng(7))[150:151, :HISTORY]  # one short row

    alone = forecast_cost(series, HORIZON)
    unpooled = forecast_cost(series, HORIZON, pool=False)

    # Nothing to borrow from: the pooled errors would be its own, so the bands are unchanged.
    assert alone.calibration_errors[0] < 19
    for got, want in ((alone.daily, unpooled.daily), (alone.cumulative, unpooled.cumulative)):
        np.testing.assert_array_equal(got.upper80, want.upper80)
        np.testing.assert_array_equal(got.upper95, want.upper95)
