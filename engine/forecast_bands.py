"""Daily cost forecasts with 80 % and 95 % prediction intervals, calibrated on each series' own
past forecast errors (decision 025), and the probability that a sum of future days exceeds a limit.

Intervals are split-conformal on a rolling origin inside the history: the point method is re-run
from every past day, and each week of the horizon gets the conformal quantile of the absolute
errors that past forecasts made that many days ahead (all horizons pooled when a week has too
few), never narrowing as the horizon grows. Nothing
after the last history day is looked at, so a backtest on held-out days stays honest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.arrays import FloatArray, IntArray
from engine.forecast import DAYS_PER_WEEK
from engine.forecast_points import METHODS, WINDOW_DAYS, MethodName, align_level_shifts

LEVELS = (0.80, 0.95)
MIN_FIT_DAYS = DAYS_PER_WEEK  # a past origin needs a week before it to forecast from
FULL_FIT_DAYS = 28  # what every method sees at most of the history (three-four weeks)
MAX_ORIGINS = 63  # nine weeks of past origins: older errors describe an older fleet
# The backtest's winner (decision 025): lowest MAE and sMAPE on every demo level and on NAB.
DEFAULT_METHOD: MethodName = "robust_trend"
MIN_WEEK_ERRORS = 40  # enough for a 95 % conformal rank below the largest error
# Below this many own errors (the 95 % conformal rank needs 19) a row borrows the scale-free
# errors of the rows forecast with it (decision 025): a global conformal over the call.
MIN_OWN_ERRORS = 19
SCALE_DAYS = DAYS_PER_WEEK  # a row's scale: the median of its last week of history
_Z80 = 1.2815515655446004  # standard normal 90th percentile: the 80 % band's upper edge
_Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Bands:
    """series × horizon: lower and upper edges of the 80 % and 95 % intervals."""

    lower80: FloatArray
    upper80: FloatArray
    lower95: FloatArray
    upper95: FloatArray


@dataclass(frozen=True, slots=True)
class CostForecast:
    """Per series (rows), per future day (columns), in the history's unit (currency per day).

    `daily` bands one day's cost; `cumulative` the sum of days 1..h (what a month-end total
    needs: errors of neighbouring days are correlated, so it is not the sum of daily bands).
    `calibration_errors` counts the past errors each row's intervals were calibrated on
    (0: too little history, the interval falls back to the spread of the history itself).
    """

    point: FloatArray
    daily: Bands
    cumulative_point: FloatArray
    cumulative: Bands
    calibration_errors: IntArray

    def exceed_probability(self, limit: FloatArray, *, day: int | None = None) -> FloatArray:
        """P(Σ of days 1..`day` > `limit`) per row (`day` defaults to the horizon's end).

        Normal around the point sum with σ from the cumulative 80 % band (its half-width over
        z₀.₉), so the band's edges and the probability tell the same story.
        """
        column = (day or self.point.shape[1]) - 1
        if column < 0:
            return np.where(np.asarray(limit, dtype=np.float64) < 0, 1.0, 0.0)
        centre = self.cumulative_point[:, column]
        sigma = (self.cumulative.upper80[:, column] - centre) / _Z80
        gap = np.asarray(limit, dtype=np.float64) - centre
        # No spread: the sum is the point for sure, so a limit at or above it is never exceeded.
        certain = np.where(gap >= 0, np.inf, -np.inf)
        scaled = np.divide(gap, sigma * math.sqrt(2), out=certain, where=sigma > 0)
        return np.asarray(0.5 * _erfc(scaled), dtype=np.float64)


def forecast_cost(
    history: FloatArray,
    horizon: int,
    *,
    method: MethodName = DEFAULT_METHOD,
    shift_at: IntArray | None = None,
    pool: bool = True,
) -> CostForecast:
    """Forecast `horizon` days after `history` (series × days, oldest first, NaN = no data).

    `shift_at[i]`: the day index from which row i is at a new level (an applied change), or
    ≤ 0 for none; the days before are moved to the new level first (align_level_shifts).
    `pool`: rows with fewer than MIN_OWN_ERRORS past errors borrow the other rows' errors,
    each divided by its row's recent median level (False: own errors only, as before).
    """
    y = np.atleast_2d(np.asarray(history, dtype=np.float64))
    if shift_at is not None:
        y = align_level_shifts(y, shift_at)
    point_of = METHODS[method]
    point = point_of(y, horizon) if horizon else np.zeros((y.shape[0], 0))
    errors = past_errors(y, horizon, method=method)
    return _with_bands(y, point, errors, pool=pool)


def past_errors(history: FloatArray, horizon: int, *, method: MethodName) -> FloatArray:
    """series × origins × horizon: actual − forecast of the method re-run from each of the last
    `MAX_ORIGINS` days that have a week before them; NaN past the history's end."""
    y = np.atleast_2d(history)
    days = int(y.shape[1])
    # Errors of origins with far less history than today's forecast would overstate its
    # errors: start at four weeks when two weeks of errors remain after that.
    first = max(MIN_FIT_DAYS, min(FULL_FIT_DAYS, days - 2 * DAYS_PER_WEEK), days - MAX_ORIGINS)
    origins = range(first, days)
    width = WINDOW_DAYS.get(method, days)
    if method in WINDOW_DAYS:
        errors = _windowed_errors(y, origins, horizon, width, method)
    else:
        errors = _refit_errors(y, origins, horizon, method)
    return _without_blind_origins(y, errors, origins, width)


def _without_blind_origins(
    y: FloatArray, errors: FloatArray, origins: range, width: int
) -> FloatArray:
    """NaN the errors of origins with under a week of known days in the method's window: they
    forecast from nothing (0), so their "errors" are the row's level (a row that starts late)."""
    seen = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(~np.isnan(y), axis=1)], axis=1)
    starts = np.asarray(origins, dtype=np.int64)
    known = seen[:, starts] - seen[:, np.maximum(starts - width, 0)]
    return np.asarray(np.where((known >= MIN_FIT_DAYS)[:, :, None], errors, np.nan))


def _refit_errors(y: FloatArray, origins: range, horizon: int, method: MethodName) -> FloatArray:
    """past_errors for a method that reads the whole history: one refit per origin."""
    days = y.shape[1]
    errors = np.full((y.shape[0], len(origins), horizon), np.nan)
    for k, origin in enumerate(origins):
        ahead = min(horizon, days - origin)
        if ahead <= 0:
            continue
        predicted = METHODS[method](y[:, :origin], ahead)
        errors[:, k, :ahead] = y[:, origin : origin + ahead] - predicted
    return errors


def _windowed_errors(
    y: FloatArray, origins: range, horizon: int, width: int, method: MethodName
) -> FloatArray:
    """past_errors for a method that reads only the last `width` days: every origin's window
    (NaN before the first day, which the methods ignore) forecast in one call."""
    rows, days = y.shape
    if not origins or not rows:
        return np.full((rows, len(origins), horizon), np.nan)
    padded = np.full((rows, width + days + horizon), np.nan)
    padded[:, width : width + days] = y
    starts = np.asarray(origins, dtype=np.int64)  # window of origin o: days o − width .. o − 1
    windows = padded[:, starts[:, None] + np.arange(width)]  # rows × origins × width
    predicted = METHODS[method](windows.reshape(-1, width), horizon)
    actual = padded[:, width + starts[:, None] + np.arange(horizon)]
    return np.asarray(actual - predicted.reshape(rows, len(starts), horizon), dtype=np.float64)


def _with_bands(
    y: FloatArray, point: FloatArray, errors: FloatArray, *, pool: bool
) -> CostForecast:
    steps = np.arange(1, point.shape[1] + 1, dtype=np.float64)
    daily_scores = np.abs(errors)
    # The mean error over days 1..h: one score per origin and horizon for the sums.
    sum_scores = np.abs(np.cumsum(errors, axis=2)) / steps
    fallback = _history_spread(y)
    scale = _recent_level(y) if pool else np.zeros(y.shape[0])
    cumulative_point = np.cumsum(point, axis=1)
    daily, sums = [], []
    for level in LEVELS:
        daily.append(_pooled_half_widths(daily_scores, level, fallback, scale))
        sums.append(_pooled_half_widths(sum_scores, level, fallback, scale) * steps)
    return CostForecast(
        point=point,
        daily=_bands(point, daily[0], daily[1]),
        cumulative_point=cumulative_point,
        cumulative=_bands(cumulative_point, sums[0], sums[1]),
        calibration_errors=np.sum(~np.isnan(errors), axis=(1, 2)).astype(np.int64),
    )


def _half_widths(scores: FloatArray, level: float, fallback: FloatArray) -> FloatArray:
    """series × horizon scale of the half-width: each week of the horizon calibrated on its own
    errors when it has MIN_WEEK_ERRORS of them (errors do not grow like the factor says on every
    series), else on all of them; never narrowing as the horizon grows."""
    pooled = _conformal(scores, level, fallback)
    horizon = scores.shape[2]
    half = np.empty((scores.shape[0], horizon))
    for start in range(0, horizon, DAYS_PER_WEEK):
        week = scores[:, :, start : start + DAYS_PER_WEEK]
        enough = np.sum(~np.isnan(week), axis=(1, 2)) >= MIN_WEEK_ERRORS
        half[:, start : start + DAYS_PER_WEEK] = np.where(
            enough, _conformal(week, level, fallback), pooled
        )[:, None]
    return np.maximum.accumulate(half, axis=1) if horizon else half


def _pooled_half_widths(
    scores: FloatArray, level: float, fallback: FloatArray, scale: FloatArray
) -> FloatArray:
    """_half_widths, except that a row with fewer than MIN_OWN_ERRORS own scores and a positive
    scale takes the conformal quantile of every scaled row's scores ÷ scale, × its own scale.

    Scale-free errors are exchangeable across rows of similar noise-to-level ratio: a short
    history borrows a calibrated rank instead of falling back to its own spread. Every score
    is from before the forecast origin, so borrowing stays honest."""
    own = _half_widths(scores, level, fallback)
    flat = scores.reshape(scores.shape[0], -1)
    count = np.sum(~np.isnan(flat), axis=1)
    largest = np.max(np.where(np.isnan(flat), 0.0, flat), axis=1, initial=0.0)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        # A subnormal scale would blow its errors up to inf: such a row neither lends nor borrows.
        scaled = (scale > 0) & np.isfinite(largest / scale)
    borrow = scaled & (count < MIN_OWN_ERRORS)
    if not borrow.any() or int(count[scaled].sum()) < MIN_OWN_ERRORS:
        return own
    free = scores[scaled] / scale[scaled, None, None]  # rows × origins × horizon, scale-free
    pooled = free.reshape(1, -1, scores.shape[2])  # one row: all origins of all rows
    unit = _half_widths(pooled, level, np.zeros(1))[0]
    return np.where(borrow[:, None], unit[None, :] * scale[:, None], own)


def _recent_level(y: FloatArray) -> FloatArray:
    """Per row: the median of the known days of the last SCALE_DAYS (0 when none is known)."""
    recent = y[:, -SCALE_DAYS:]
    known = ~np.isnan(recent)
    filled = np.where(known, recent, np.inf)  # sort unknowns last, then pick the middle known
    ordered = np.sort(filled, axis=1)
    count = known.sum(axis=1)
    low = np.take_along_axis(ordered, np.maximum((count - 1) // 2, 0)[:, None], axis=1)[:, 0]
    high = np.take_along_axis(ordered, np.maximum(count // 2, 0)[:, None], axis=1)[:, 0]
    median = (low + high) / 2  # inf for a row with no known day
    return np.asarray(np.where(np.isfinite(median), np.maximum(median, 0.0), 0.0))


def _bands(centre: FloatArray, half80: FloatArray, half95: FloatArray) -> Bands:
    # 95 never narrower than 80: with few errors both conformal ranks can hit the same score.
    half95 = np.maximum(half95, half80)
    return Bands(
        lower80=np.maximum(centre - half80, 0.0),
        upper80=centre + half80,
        lower95=np.maximum(centre - half95, 0.0),
        upper95=centre + half95,
    )


def _conformal(scores: FloatArray, level: float, fallback: FloatArray) -> FloatArray:
    """Per row: the ⌈(n + 1)·level⌉-th smallest of its n scores (the split-conformal quantile).

    With n too small for that rank the conformal interval is unbounded; the largest score is
    then widened to at least `fallback`·z (the history's own spread), never narrower."""
    spread = fallback * (_Z80 if level == LEVELS[0] else _Z95)
    flat = scores.reshape(scores.shape[0], -1)
    if flat.shape[1] == 0:
        return spread
    count = np.sum(~np.isnan(flat), axis=1)
    ordered = np.sort(np.where(np.isnan(flat), np.inf, flat), axis=1)
    wanted = np.ceil((count + 1) * level).astype(np.int64)
    rank = np.minimum(wanted, count) - 1
    picked = np.take_along_axis(ordered, np.maximum(rank, 0)[:, None], axis=1)[:, 0]
    return np.where(wanted > count, np.maximum(np.where(count > 0, picked, 0.0), spread), picked)


def _history_spread(y: FloatArray) -> FloatArray:
    """Per row: the standard deviation of the known days (0 with fewer than two)."""
    known = ~np.isnan(y)
    count = known.sum(axis=1)
    mean = np.where(known, y, 0.0).sum(axis=1) / np.maximum(count, 1)
    var = np.where(known, (y - mean[:, None]) ** 2, 0.0).sum(axis=1) / np.maximum(count - 1, 1)
    return np.asarray(np.sqrt(var), dtype=np.float64)


def _erfc(x: FloatArray) -> FloatArray:
    return np.asarray(np.vectorize(math.erfc, otypes=[np.float64])(x), dtype=np.float64)
