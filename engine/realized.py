"""Realized savings of an applied change: same-weekday days before and after, per unit of demand."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from engine.arrays import FloatArray
from engine.units import HOURS_PER_MONTH

DayArray = npt.NDArray[np.datetime64]  # datetime64[D], UTC days
DAYS_PER_MONTH = HOURS_PER_MONTH / 24.0  # 730 h months, like every monthly figure
MIN_DAYS_AFTER = 7
MAX_WEEKS = 4
BAND_PCT = 95.0
# Two-sided 97.5 % quantiles of Student's t by degrees of freedom (6..27 pairs − 1); beyond
# the table the normal 1.96 is within 1 % (scipy is not an engine dependency for one table).
_T975 = {
    6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160,
    14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080,
    22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class DailySeries:
    """One service's complete UTC days, oldest first: billed cost and demand (NaN: not measured)."""

    day: DayArray
    cost_usd: FloatArray
    demand: FloatArray


@dataclass(frozen=True, slots=True)
class Realized:
    """A measured saving: per day and per 730 h month, with its 95 % band, over `pairs` days
    after the change each set against the same weekday before it."""

    daily_usd: float
    monthly_usd: float
    low_monthly_usd: float
    high_monthly_usd: float
    pairs: int
    demand_change_pct: float  # mean demand after vs before (NaN when not normalized)
    normalized: bool  # False: no demand series, costs compared as they are
    outcome: Literal["realized"] = "realized"


@dataclass(frozen=True, slots=True)
class NotEnoughData:
    """No saving can be measured yet, and why (a value, not an error: pages show the reason)."""

    reason: str
    days_after: int
    outcome: Literal["not_enough_data"] = "not_enough_data"


RealizedOutcome = Realized | NotEnoughData


def realized_saving(
    series: DailySeries,
    *,
    change_day: np.datetime64,
    last_day: np.datetime64,
    min_days_after: int = MIN_DAYS_AFTER,
    max_weeks: int = MAX_WEEKS,
) -> RealizedOutcome:
    """The saving a change made, as avoided cost per day over whole weeks after it.

    Rule: the change day itself is excluded (half of it ran on each config); the after window
    is the first w whole weeks of complete days after it up to `last_day` (the last complete
    day, or the day before a rollback), w ≤ `max_weeks`; the before window is the w weeks just
    before the change day. Each after day is paired with the same weekday's day in the before
    window (k-th Monday with k-th Monday). A pair's avoided cost is what the after day would
    have cost at the before day's cost per unit of demand, minus what it cost:
    q_after · c_before / q_before − c_after (c_before − c_after without a demand series).
    The saving is the pairs' mean; its band the paired Student-t 95 % interval.
    """
    days_after = int((last_day - change_day).astype(int))
    weeks = min(max_weeks, max(days_after, 0) // 7)
    if days_after < min_days_after or weeks == 0:
        return NotEnoughData(_too_short(days_after, min_days_after), max(days_after, 0))
    span = np.timedelta64(7 * weeks, "D")
    one = np.timedelta64(1, "D")
    after_days = change_day + one + np.arange(7 * weeks).astype("timedelta64[D]")
    before_days = after_days - span - one  # the 7w days just before the change day
    return _measure(series, _partner(after_days, before_days), days_after, min_days_after)


def accrued_usd(result: RealizedOutcome, days_in_effect: int) -> float:
    """Money a measured saving brought over `days_in_effect` complete days (0 when unmeasured)."""
    if isinstance(result, NotEnoughData):
        return 0.0
    return result.daily_usd * max(days_in_effect, 0)


def _partner(after_days: DayArray, before_days: DayArray) -> tuple[DayArray, DayArray]:
    """(after, before) pairs of the same weekday: both windows hold each weekday w times, so
    sorting each by (weekday, date) lines the k-th Monday up with the k-th Monday."""

    def by_weekday(days: DayArray) -> DayArray:
        weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        return days[np.lexsort((days.astype(np.int64), weekday))]

    return by_weekday(after_days), by_weekday(before_days)


def _measure(
    series: DailySeries,
    pairs: tuple[DayArray, DayArray],
    days_after: int,
    min_days: int,
) -> RealizedOutcome:
    cost_a, demand_a = _lookup(series, pairs[0])
    cost_b, demand_b = _lookup(series, pairs[1])
    normalized = bool(np.any(np.isfinite(demand_a) & (demand_a > 0)))
    if normalized:
        keep = np.isfinite(cost_a + cost_b + demand_a + demand_b) & (demand_a > 0) & (demand_b > 0)
        avoided = demand_a * cost_b / np.where(keep, demand_b, 1.0) - cost_a
    else:
        keep = np.isfinite(cost_a + cost_b)
        avoided = cost_b - cost_a
    if int(keep.sum()) < min_days:
        return NotEnoughData(
            f"not enough data yet: {int(keep.sum())} days after the change have billing (and "
            f"demand) on the same weekday before it; needs {min_days}",
            days_after,
        )
    return _band(avoided[keep], demand_a[keep], demand_b[keep], normalized=normalized)


def _band(
    avoided: FloatArray, demand_a: FloatArray, demand_b: FloatArray, *, normalized: bool
) -> Realized:
    n = len(avoided)
    mean = float(avoided.mean())
    half = _t975(n - 1) * float(avoided.std(ddof=1)) / math.sqrt(n)
    change = float(demand_a.mean() / demand_b.mean() - 1.0) * 100.0 if normalized else math.nan
    return Realized(
        daily_usd=mean,
        monthly_usd=mean * DAYS_PER_MONTH,
        low_monthly_usd=(mean - half) * DAYS_PER_MONTH,
        high_monthly_usd=(mean + half) * DAYS_PER_MONTH,
        pairs=n,
        demand_change_pct=change,
        normalized=normalized,
    )


def _lookup(series: DailySeries, days: DayArray) -> tuple[FloatArray, FloatArray]:
    """Cost and demand of `days` (NaN for a day the series does not hold)."""
    if len(series.day) == 0:
        nothing = np.full(len(days), math.nan)
        return nothing, nothing.copy()
    index = np.searchsorted(series.day, days)
    inside = index < len(series.day)
    found = np.zeros(len(days), dtype=np.bool_)
    found[inside] = series.day[index[inside]] == days[inside]
    safe = np.where(found, index, 0)
    cost = np.where(found, series.cost_usd[safe], math.nan)
    demand = np.where(found, series.demand[safe], math.nan)
    return cost.astype(np.float64), demand.astype(np.float64)


def _t975(dof: int) -> float:
    return _T975.get(dof, 1.96) if dof >= 6 else 2.571  # ≥ 6 by MIN_DAYS_AFTER; 5 as a floor


def _too_short(days_after: int, needed: int) -> str:
    return (
        f"not enough data yet (needs {needed} complete days after the change, "
        f"has {max(days_after, 0)})"
    )
