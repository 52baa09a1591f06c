"""Month-end cost outlook: month-to-date plus the modelled rest of the month, with its 80 % and
95 % intervals and the probability of ending above an amount (decision 025)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.arrays import FloatArray, IntArray
from engine.forecast import split_month
from engine.forecast_bands import Bands, CostForecast, forecast_cost

HISTORY_DAYS = 91  # what callers should pass: 13 weeks, nine of them past origins to calibrate on


@dataclass(frozen=True, slots=True)
class MonthOutlook:
    """One scope's month in its billing currency. `projected_daily_cost` and `daily` cover the
    days still to come in the month, in order; `cumulative` bands the month's running total
    over those days (month-to-date included), so its last column bands the month-end total."""

    month_to_date_cost: float
    projected_daily_cost: FloatArray
    daily: Bands
    cumulative_point: FloatArray
    cumulative: Bands
    history_days: int
    _forecast: CostForecast
    _gap_days: int

    @property
    def forecast_cost(self) -> float:
        """Month-to-date plus the projected remaining days: the month-end forecast."""
        return self.month_to_date_cost + float(self.projected_daily_cost.sum())

    def month_end_range(self, level: int = 80) -> tuple[float, float]:
        """The `level` % (80 or 95) interval of the month-end total (month-to-date if no day
        remains)."""
        if not self.projected_daily_cost.size:
            return self.month_to_date_cost, self.month_to_date_cost
        low, high = (self.cumulative.lower80, self.cumulative.upper80)
        if level == 95:
            low, high = self.cumulative.lower95, self.cumulative.upper95
        return float(low[-1]), float(high[-1])

    def exceed_probability(self, amount: float) -> float:
        """P(month-end total > `amount`) under the predictive distribution of the rest."""
        remaining = amount - self.month_to_date_cost
        if not self.projected_daily_cost.size:
            return 1.0 if remaining < 0 else 0.0
        if self._gap_days:  # the month's total excludes the gap days before it starts
            remaining += float(self._forecast.cumulative_point[0, self._gap_days - 1])
        return float(self._forecast.exceed_probability(np.array([remaining]))[0])


def forecast_month_outlook(
    daily_cost: FloatArray,
    *,
    month_days_observed: int,
    days_in_month: int,
    gap_days: int = 0,
    shift_at: int = 0,
) -> MonthOutlook:
    """Outlook from the daily cost up to the last complete day (oldest first, NaN = no data).

    The last `month_days_observed` values are the month's so far; `gap_days` > 0 is for a month
    that starts that many days after the data ends. `shift_at` > 0: the index of the first day
    at a new level (the day after a change was applied). A scope forecast alone: its bands use
    its own past errors only (forecast_month_outlooks pools a page's scopes).
    """
    (outlook,) = forecast_month_outlooks(
        np.asarray(daily_cost, dtype=np.float64)[None, :],
        month_days_observed=month_days_observed,
        days_in_month=days_in_month,
        gap_days=gap_days,
        shift_at=np.array([shift_at]),
    )
    return outlook


def forecast_month_outlooks(
    daily_costs: FloatArray,
    *,
    month_days_observed: int,
    days_in_month: int,
    gap_days: int = 0,
    shift_at: IntArray | None = None,
) -> list[MonthOutlook]:
    """forecast_month_outlook for several scopes (rows, same days) in one forecast, so a row
    with too few own past errors borrows the others' scale-free ones (decision 025).

    A row's outlook depends on which rows it is forecast with: callers that must show one
    figure for one scope pass the same rows (budget_status.pooled_keys)."""
    rows = np.atleast_2d(np.asarray(daily_costs, dtype=np.float64))
    if not rows.shape[0]:
        return []
    # split_month validates the month; every row shares its day arithmetic.
    _, _, horizon = split_month(
        rows[0],
        month_days_observed=month_days_observed,
        days_in_month=days_in_month,
        gap_days=gap_days,
    )
    shifts = np.zeros(rows.shape[0], dtype=np.int64) if shift_at is None else shift_at
    fc = forecast_cost(rows, horizon, shift_at=shifts)
    observed = (
        rows[:, rows.shape[1] - month_days_observed :] if month_days_observed else rows[:, :0]
    )
    mtd = np.nansum(observed, axis=1)
    return [_outlook(fc, i, float(mtd[i]), rows[i], gap_days) for i in range(rows.shape[0])]


def _outlook(fc: CostForecast, i: int, mtd: float, history: FloatArray, gap: int) -> MonthOutlook:
    """Row `i` of a forecast as its month: the running total starts from month-to-date."""
    horizon = fc.point.shape[1]
    rest = slice(gap, horizon)
    before = fc.cumulative_point[i, gap - 1] if gap else 0.0
    offset = mtd - before  # running total of the month = month-to-date + Σ days since it began
    own = _single(fc, i)
    return MonthOutlook(
        month_to_date_cost=mtd,
        projected_daily_cost=fc.point[i, rest],
        daily=_row(own.daily, rest, 0.0),
        cumulative_point=fc.cumulative_point[i, rest] + offset,
        cumulative=_row(own.cumulative, rest, offset),
        history_days=int(np.count_nonzero(~np.isnan(history))),
        _forecast=own,
        _gap_days=gap,
    )


def _single(fc: CostForecast, i: int) -> CostForecast:
    """Row `i` of a forecast as a one-row forecast (what MonthOutlook keeps)."""
    pick = slice(i, i + 1)
    return CostForecast(
        point=fc.point[pick],
        daily=Bands(*(getattr(fc.daily, f)[pick] for f in _EDGES)),
        cumulative_point=fc.cumulative_point[pick],
        cumulative=Bands(*(getattr(fc.cumulative, f)[pick] for f in _EDGES)),
        calibration_errors=fc.calibration_errors[pick],
    )


_EDGES = ("lower80", "upper80", "lower95", "upper95")


def _row(bands: Bands, rest: slice, offset: float) -> Bands:
    return Bands(
        lower80=np.maximum(bands.lower80[0, rest] + offset, 0.0),
        upper80=bands.upper80[0, rest] + offset,
        lower95=np.maximum(bands.lower95[0, rest] + offset, 0.0),
        upper95=bands.upper95[0, rest] + offset,
    )
