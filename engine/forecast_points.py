"""Point forecasts of daily cost, vectorised over series (rows): the candidates decision 025
compares in a rolling-origin backtest, and the level-shift alignment they share.

Every method takes `history` (series × days, oldest first, NaN = no data that day) and a horizon
in days, and returns series × horizon costs per day (never negative).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from engine.arrays import FloatArray, IntArray
from engine.forecast import DAYS_PER_WEEK, SEASONAL_WEEKS, project_daily

PointMethod = Callable[[FloatArray, int], FloatArray]
MethodName = Literal["seasonal_naive", "damped_holt_winters", "robust_trend"]
TREND_WINDOW_DAYS = 28  # the robust trend's slope looks at four weeks: one holiday week is outvoted
TREND_DAMPING = 0.97  # per day: a slope seen over four weeks is not trusted a month out
# Holt-Winters constants, fixed (no optimiser in the engine): slow level, slower trend.
HW_ALPHA, HW_BETA, HW_GAMMA, HW_PHI = 0.2, 0.03, 0.15, 0.9


def seasonal_naive(history: FloatArray, horizon: int) -> FloatArray:
    """Decision 009's rule: each day costs the median of its weekday over the last 3 weeks."""
    return np.maximum(project_daily(np.atleast_2d(history), horizon_days=horizon), 0.0)


def robust_trend(history: FloatArray, horizon: int) -> FloatArray:
    """Weekday effects (weekday median − overall median) plus a damped Theil–Sen slope of the
    de-seasonalised last four weeks; level = median of the de-seasonalised days minus the slope."""
    y = np.atleast_2d(history)[:, -TREND_WINDOW_DAYS:]
    days = y.shape[1]
    effects = _weekday_effects(y)
    slot = np.arange(days) % DAYS_PER_WEEK
    flat = y - effects[:, slot]
    slope = _theil_sen(flat)
    t = np.arange(days, dtype=np.float64) - (days - 1)  # 0 on the last day
    level = _nanmedian_rows(flat - slope[:, None] * t)
    steps = np.cumsum(TREND_DAMPING ** np.arange(1, horizon + 1))
    ahead = (days + np.arange(horizon)) % DAYS_PER_WEEK
    point = level[:, None] + slope[:, None] * steps + effects[:, ahead]
    return np.maximum(np.nan_to_num(point), 0.0)


def damped_holt_winters(history: FloatArray, horizon: int) -> FloatArray:
    """Additive Holt–Winters with a damped trend and 7 weekly terms, fixed constants; a day
    without data leaves the state as the model predicted it."""
    y = np.atleast_2d(history)
    rows, days = y.shape
    first = y[:, :DAYS_PER_WEEK]
    level = np.nan_to_num(_nanmean_rows(first))
    trend = np.zeros(rows)
    season = np.nan_to_num(first - level[:, None])
    if season.shape[1] < DAYS_PER_WEEK:
        season = np.zeros((rows, DAYS_PER_WEEK))
    for t in range(DAYS_PER_WEEK, days):
        s = t % DAYS_PER_WEEK
        prior = level + HW_PHI * trend
        seen = np.where(np.isnan(y[:, t]), prior + season[:, s], y[:, t])
        new_level = HW_ALPHA * (seen - season[:, s]) + (1 - HW_ALPHA) * prior
        trend = HW_BETA * (new_level - level) + (1 - HW_BETA) * HW_PHI * trend
        season[:, s] = HW_GAMMA * (seen - new_level) + (1 - HW_GAMMA) * season[:, s]
        level = new_level
    steps = np.cumsum(HW_PHI ** np.arange(1, horizon + 1))
    ahead = (days + np.arange(horizon)) % DAYS_PER_WEEK
    point = level[:, None] + trend[:, None] * steps + season[:, ahead]
    return np.maximum(point, 0.0)


# Methods that read only the last N days (the rest of the history cannot change their forecast).
WINDOW_DAYS: dict[MethodName, int] = {
    "seasonal_naive": SEASONAL_WEEKS * DAYS_PER_WEEK,
    "robust_trend": TREND_WINDOW_DAYS,
}
METHODS: dict[MethodName, PointMethod] = {
    "seasonal_naive": seasonal_naive,
    "damped_holt_winters": damped_holt_winters,
    "robust_trend": robust_trend,
}


def align_level_shifts(history: FloatArray, shift_at: IntArray) -> FloatArray:
    """History with each row's days before `shift_at[i]` moved to the level after it.

    A level shift (an applied change, a migration) makes the old level wrong but keeps the
    weekly pattern: the step is the median, over the first week since the shift, of each day
    minus the same weekday a week before; the days before the shift get that step
    added (never below 0). `shift_at[i]` ≤ 0 or ≥ the day count: no shift on row i.
    """
    aligned = np.atleast_2d(np.array(history, dtype=np.float64))
    days = aligned.shape[1]
    for row, at in enumerate(np.asarray(shift_at, dtype=np.int64)):
        if not DAYS_PER_WEEK <= at < days:
            continue
        after = np.arange(at, min(days, at + DAYS_PER_WEEK))
        diffs = aligned[row, after] - aligned[row, after - DAYS_PER_WEEK]
        if np.isnan(diffs).all():
            continue
        step = float(np.nanmedian(diffs))
        aligned[row, :at] = np.maximum(aligned[row, :at] + step, 0.0)
    return aligned


def _weekday_effects(y: FloatArray) -> FloatArray:
    """rows × 7: median of each weekday slot (slot = day index mod 7) minus the row's median."""
    rows, days = y.shape
    padded = np.full((rows, -(-days // DAYS_PER_WEEK) * DAYS_PER_WEEK), np.nan)
    padded[:, :days] = y
    by_slot = padded.reshape(rows, -1, DAYS_PER_WEEK)
    effects = _nanmedian_axis(by_slot, axis=1) - _nanmedian_rows(y)[:, None]
    return np.nan_to_num(effects)


def _theil_sen(y: FloatArray) -> FloatArray:
    """Per row: the median slope over all pairs of known days (0 with fewer than two)."""
    i, j = np.triu_indices(y.shape[1], k=1)
    slopes = (y[:, j] - y[:, i]) / (j - i)
    return np.nan_to_num(_nanmedian_rows(slopes))


def _nanmedian_rows(values: FloatArray) -> FloatArray:
    return _nanmedian_axis(values, axis=1)


def _nanmedian_axis(values: FloatArray, *, axis: int) -> FloatArray:
    """np.nanmedian without its all-NaN warning: such a slice stays NaN."""
    known = ~np.isnan(values)
    filled = np.where(known, values, np.inf)  # sorts the missing days last
    ordered = np.sort(filled, axis=axis)
    count = known.sum(axis=axis)
    low = np.take_along_axis(ordered, np.expand_dims(np.maximum(count - 1, 0) // 2, axis), axis)
    high = np.take_along_axis(ordered, np.expand_dims(count // 2, axis), axis)
    median = np.squeeze((low + high) / 2.0, axis=axis)
    return np.where(count > 0, median, np.nan)


def _nanmean_rows(values: FloatArray) -> FloatArray:
    known = ~np.isnan(values)
    count = known.sum(axis=1)
    total = np.where(known, values, 0.0).sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)
