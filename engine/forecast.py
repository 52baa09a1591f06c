"""Month-end cost forecast: weekly seasonal naive on the median of recent same weekdays.

Why seasonal naive and not Holt-Winters (decision 009): a budget is checked from day 1 of
the month, on 4–8 weeks of daily cost at most. Holt-Winters needs two full seasons just to
initialise its weekly terms and a numerical fit of three smoothing constants (no optimiser in
a numpy-only engine, and the fit is unstable on 28 points with incidents in them); its trend
term also extrapolates one noisy week into the rest of the month. Seasonal naive has no
parameter to fit, is exact on a steady or strictly weekly series, and a budget owner can check
it by hand ("each remaining Tuesday costs what recent Tuesdays cost"). The median of the last
`weeks` same weekdays, not the last one alone, keeps a one-off spike (reported separately as
an anomaly) out of the rest of the month.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from engine.arrays import FloatArray

DAYS_PER_WEEK = 7
SEASONAL_WEEKS = 3
HISTORY_DAYS = 28  # what callers should pass before the month: four full weeks


@dataclass(frozen=True, slots=True)
class MonthForecast:
    """Cost of one month in its billing currency: observed so far plus the projected rest.

    `projected_daily_cost` holds one value per day still to come in the month, in order.
    """

    month_to_date_cost: float
    projected_daily_cost: FloatArray
    history_days: int

    @property
    def remaining_cost(self) -> float:
        """Σ of the projected daily costs of the rest of the month (billing currency)."""
        return float(self.projected_daily_cost.sum())

    @property
    def forecast_cost(self) -> float:
        """Month-to-date plus the projected remaining days: the month-end forecast."""
        return self.month_to_date_cost + self.remaining_cost


def project_daily(
    daily_cost: FloatArray, *, horizon_days: int, weeks: int = SEASONAL_WEEKS
) -> FloatArray:
    """Cost per day for the `horizon_days` days after the last one of `daily_cost`.

    Rule: day h (1-based) costs the median of the same weekday in the last `weeks` full weeks
    (fewer when the history is shorter); with less than one week of history, the mean of the
    days there are; with none, 0. NaN marks a day without data and is ignored. Units: those of
    `daily_cost` (billing currency per day). Vectorised over rows when `daily_cost` is 2-D.
    """
    history = np.atleast_2d(np.asarray(daily_cost, dtype=np.float64))
    days = history.shape[1]
    full_weeks = min(weeks, days // DAYS_PER_WEEK)
    if full_weeks == 0:
        profile = _flat_profile(history)
    else:
        profile = _weekday_profile(history[:, days - full_weeks * DAYS_PER_WEEK :], full_weeks)
    reps = -(-horizon_days // profile.shape[1])
    projected = np.tile(profile, (1, reps))[:, :horizon_days]
    return projected if np.ndim(daily_cost) == 2 else projected[0]


def forecast_month(
    daily_cost: FloatArray,
    *,
    month_days_observed: int,
    days_in_month: int,
    gap_days: int = 0,
    weeks: int = SEASONAL_WEEKS,
) -> MonthForecast:
    """Month-end forecast from the daily cost up to the last observed day (oldest first).

    The last `month_days_observed` values belong to the month (their sum is month-to-date).
    `gap_days` > 0 is for a month that starts after the data ends: that many days lie between
    the last observed day and the month's first, projected but not counted.
    """
    history, observed, horizon = split_month(
        daily_cost, month_days_observed=month_days_observed, days_in_month=days_in_month,
        gap_days=gap_days,
    )  # fmt: skip
    projected = project_daily(history, horizon_days=horizon, weeks=weeks)[gap_days:]
    return MonthForecast(
        month_to_date_cost=float(np.nansum(observed)),
        projected_daily_cost=projected,
        history_days=int(np.count_nonzero(~np.isnan(history))),
    )


def split_month(
    daily_cost: FloatArray, *, month_days_observed: int, days_in_month: int, gap_days: int
) -> tuple[FloatArray, FloatArray, int]:
    """The history as floats, the month's observed days (its tail) and the days to forecast.

    Shared by every month forecast: the month's last `month_days_observed` days are observed;
    `gap_days` > 0 is a month starting that many days after the data ends (nothing observed).
    """
    if gap_days and month_days_observed:
        raise ValueError("a month with observed days cannot start after the data ends")
    if not 0 <= month_days_observed <= days_in_month:
        raise ValueError(f"month_days_observed must be within 0..{days_in_month}")
    history = np.asarray(daily_cost, dtype=np.float64)
    observed = history[history.size - month_days_observed :] if month_days_observed else history[:0]
    return history, observed, gap_days + days_in_month - month_days_observed


def _weekday_profile(recent: FloatArray, weeks: int) -> FloatArray:
    """rows × 7: median over the weeks of each weekday slot (slot 0 = the day after the data
    ends, seven days on)."""
    by_week = recent.reshape(recent.shape[0], weeks, DAYS_PER_WEEK)
    profile = _nanmedian(by_week, axis=1)
    fallback = _flat_profile(recent)
    return np.where(np.isnan(profile), fallback, profile)


def _flat_profile(history: FloatArray) -> FloatArray:
    """rows × 1: the mean of the known days, 0 when none is known."""
    known = ~np.isnan(history)
    count = known.sum(axis=1, keepdims=True)
    total = np.where(known, history, 0.0).sum(axis=1, keepdims=True)
    mean: FloatArray = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    return mean


def _nanmedian(values: FloatArray, *, axis: int) -> FloatArray:
    # np.nanmedian warns on all-NaN slices; those stay NaN here and the caller fills them.
    if not np.isnan(values).any():
        return np.asarray(np.median(values, axis=axis), dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(np.nanmedian(values, axis=axis), dtype=np.float64)
