"""Bands of short histories (7-12 days, like the real NAB series) and of scopes forecast together:
coverage on seeded synthetic noise, what a step after the origin does, and the pooled month
outlooks Budgets and Overview use (decision 025)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.arrays import FloatArray
from engine.forecast_bands import forecast_cost
from engine.month_forecast import MonthOutlook, forecast_month_outlook, forecast_month_outlooks

WEEK = np.array([100.0, 104.0, 103.0, 101.0, 98.0, 60.0, 55.0])
DAYS = 13  # the real series' complete days: origins 7..12 see 7..12 days


def _short_rows(rng: np.random.Generator, rows: int = 200) -> FloatArray:
    """Weekly pattern at levels from 0.5× to 20×, 3 % multiplicative noise, 13 days."""
    truth = WEEK[np.arange(DAYS) % 7] * rng.uniform(0.5, 20.0, (rows, 1))
    return np.asarray(truth * (1 + rng.normal(0.0, 0.03, truth.shape)), dtype=np.float64)


def _rolling_coverage(series: FloatArray, *, pool: bool) -> tuple[float, float, float]:
    """(80 %, 95 % coverage, mean 80 % width ÷ level) over origins 7..12, as the bench does."""
    hit80: list[FloatArray] = []
    hit95: list[FloatArray] = []
    width: list[FloatArray] = []
    for origin in range(7, DAYS):
        fc = forecast_cost(series[:, :origin], DAYS - origin, pool=pool)
        actual = series[:, origin:]
        inside80 = (actual >= fc.daily.lower80) & (actual <= fc.daily.upper80)
        hit80.append(inside80.astype(np.float64))
        inside95 = (actual >= fc.daily.lower95) & (actual <= fc.daily.upper95)
        hit95.append(inside95.astype(np.float64))
        width.append((fc.daily.upper80 - fc.daily.lower80) / series[:, :1])

    def mean(parts: list[FloatArray]) -> float:
        return float(np.mean(np.concatenate([p.ravel() for p in parts])))

    return mean(hit80), mean(hit95), mean(width)


def test_short_histories_pooled_cover_at_least_as_promised_at_half_the_own_error_width() -> None:
    series = _short_rows(np.random.default_rng(11))

    pooled80, pooled95, pooled_width = _rolling_coverage(series, pool=True)
    own80, _, own_width = _rolling_coverage(series, pool=False)

    # Origins 7 and 8 have 0 and 1 past errors (the spread fallback, wider): a little above 80 %.
    assert 0.78 <= pooled80 <= 0.93
    assert pooled95 >= 0.93
    # Own errors only: at most 5 per row, so the conformal rank is the largest error or beyond.
    assert own80 > pooled80
    assert pooled_width < 0.75 * own_width


def test_a_step_after_the_origin_is_not_foreseen_by_bands_calibrated_before_it() -> None:
    """What the real NAB series show (decision 025): one of them doubles on day 10 after ten
    quiet days. No band calibrated on a quiet past covers the new level; the days before the
    step are covered as promised."""
    series = _short_rows(np.random.default_rng(12))
    series[:, 10:] *= 2.0

    fc = forecast_cost(series[:, :8], DAYS - 8)
    inside = (series[:, 8:] >= fc.daily.lower80) & (series[:, 8:] <= fc.daily.upper80)

    assert inside[:, :2].mean() >= 0.75  # days 8-9, before the step
    assert inside[:, 2:].mean() <= 0.05  # days 10-12, twice the level


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (4, 30), elements=st.floats(0, 1e4)),
    st.lists(st.integers(0, 29), min_size=4, max_size=4),
    st.integers(1, 31),
)
def test_pooled_bands_never_narrow_with_the_horizon_and_stop_at_zero(
    values: FloatArray, starts: list[int], horizon: int
) -> None:
    history = values.copy()
    for row, start in enumerate(starts):  # rows that start late: short histories borrow
        history[row, :start] = np.nan

    fc = forecast_cost(history, horizon)

    for bands, centre in ((fc.daily, fc.point), (fc.cumulative, fc.cumulative_point)):
        assert np.all(bands.lower95 >= 0.0)
        assert np.all(bands.lower95 <= bands.lower80 + 1e-9)
        assert np.all(bands.upper80 <= bands.upper95 + 1e-9)
        for upper in (bands.upper80, bands.upper95):
            half = upper - centre
            assert np.all(half >= -1e-9)
            assert np.all(np.diff(half, axis=1) >= -1e-6 * (1 + np.abs(upper[:, 1:])))


def _long_and_short_months(rng: np.random.Generator) -> FloatArray:
    """Four scopes over 91 days: three with the whole history at $100/day, one ten times larger
    (same 3 % noise) with cost on its last 12 days only."""
    days = np.arange(91)
    rows = np.vstack([WEEK[days % 7]] * 3 + [10 * WEEK[days % 7]])
    rows = rows * (1 + rng.normal(0.0, 0.03, rows.shape))
    rows[3, :-12] = np.nan
    return np.asarray(rows, dtype=np.float64)


def _width80(outlook: MonthOutlook) -> float:
    low, high = outlook.month_end_range(80)
    return high - low


@pytest.mark.parametrize("seed", [13, 14, 15])
def test_scopes_forecast_together_keep_their_own_figures_and_a_new_one_borrows(seed: int) -> None:
    rows = _long_and_short_months(np.random.default_rng(seed))
    together = forecast_month_outlooks(rows, month_days_observed=10, days_in_month=30)
    alone = [forecast_month_outlook(r, month_days_observed=10, days_in_month=30) for r in rows]

    for pooled, single in zip(together[:3], alone[:3], strict=True):  # enough own errors
        assert pooled.forecast_cost == single.forecast_cost
        assert pooled.month_end_range(80) == single.month_end_range(80)
    new = together[3]
    assert new.forecast_cost == alone[3].forecast_cost  # the point is the row's own
    assert new.month_to_date_cost == pytest.approx(float(np.nansum(rows[3, -10:])))
    # Alone, its range rests on 15 errors of horizons 1-5 (half to 1.4× this across the seeds);
    # together, the long scopes' month-end errors at its own level: ten times their range.
    long_width = np.mean([_width80(o) for o in together[:3]])
    assert 0.8 <= _width80(new) / (10 * long_width) <= 1.25


def test_no_scopes_no_outlooks() -> None:
    assert forecast_month_outlooks(np.zeros((0, 91)), month_days_observed=3, days_in_month=30) == []
