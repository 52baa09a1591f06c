"""Cost anomalies: robust z-score of each day's cost against its trailing median and MAD.

Rule (Iglewicz & Hoaglin's modified z-score), per series (a service in one currency) and day t:
baseline m = median of the `window_days` days before t, MAD = median |x − m| over them, and
z = 0.6745 · (x_t − m) / MAD. A day is an anomaly when |z| ≥ 3.5 and the change is material
(at least `min_change_pct` of the baseline and `min_delta_cost`). When MAD = 0 (more than half
the window has the same cost) the scale falls back to 1.2533 · mean |x − m| (the mean absolute
deviation's normal-consistency factor); when that is 0 too the baseline is constant and any
change gets |z| = Z_CAP. Days without data are NaN and ignored; fewer than `min_history_days`
known days before t means no verdict. The same rule on each category's own baseline says
which categories moved with the jump (the drivers).

Weekly seasonality: a dev service that stops at weekends is not an anomaly every Saturday. So a
day must also break from the median of the same weekday in the window (`seasonal_period_days`,
with at least two such days known), on the same scale; the reported baseline is that same-
weekday median and the reported z the weaker of the two. Only what both call unusual is.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from engine.arrays import FloatArray

MAD_TO_Z = 0.6745  # Φ⁻¹(0.75): makes MAD a consistent estimate of σ for normal data
MEAN_AD_TO_SIGMA = 1.2533  # √(π/2): the same for the mean absolute deviation
Z_CAP = 1000.0  # a change from a constant baseline: infinitely unusual, stored as a number
Direction = Literal["spike", "drop"]


@dataclass(frozen=True, slots=True)
class AnomalyPolicy:
    """Knobs of the detector; defaults follow Iglewicz & Hoaglin (|z| ≥ 3.5)."""

    window_days: int = 28
    min_history_days: int = 14
    threshold_z: float = 3.5
    min_change_pct: float = 10.0
    min_delta_cost: float = 0.0  # in the series' billing currency
    driver_share_pct: float = 80.0  # drivers listed until they explain this much of the change
    seasonal_period_days: int = 7  # 0: no same-weekday check (needs window ≥ 2 periods)


@dataclass(frozen=True, slots=True)
class Driver:
    """One category's cost on the anomalous day against its own baseline (billing currency)."""

    category: str
    effective_cost: float
    baseline_cost: float
    share_pct: float  # of the change the drivers moving with it add up to

    @property
    def delta_cost(self) -> float:
        """The day's cost minus the category's baseline (billing currency; < 0 for a drop)."""
        return self.effective_cost - self.baseline_cost


@dataclass(frozen=True, slots=True)
class Anomaly:
    """Series `series` (row of the input) broke from its baseline on day index `day`."""

    series: int
    day: int
    effective_cost: float
    baseline_cost: float
    robust_z: float
    direction: Direction
    drivers: tuple[Driver, ...]


@dataclass(frozen=True, slots=True)
class RobustScores:
    """Per series × evaluated day: baseline median (billing currency) and robust z (NaN = no
    verdict); the same against the same-weekday median (all NaN without the seasonal check)."""

    baseline_cost: FloatArray
    robust_z: FloatArray
    seasonal_baseline_cost: FloatArray
    seasonal_z: FloatArray


def robust_scores(daily_cost: FloatArray, *, first_day: int, policy: AnomalyPolicy) -> RobustScores:
    """Scores of days `first_day`… of `daily_cost` (series × days); needs first_day ≥ window."""
    window = policy.window_days
    if first_day >= daily_cost.shape[1]:
        empty = np.empty((daily_cost.shape[0], 0))
        return RobustScores(empty, empty.copy(), empty.copy(), empty.copy())
    if first_day < window:
        raise ValueError(f"first_day must leave {window} days of history before it")
    history = daily_cost[:, first_day - window : -1]
    windows = sliding_window_view(history, window, axis=1)  # series × evaluated days × window
    today = daily_cost[:, first_day:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows: no verdict anyway
        median = np.nanmedian(windows, axis=2)
        spread = np.abs(windows - median[..., None])
        mad = np.nanmedian(spread, axis=2)
        mean_ad = np.nanmean(spread, axis=2)
    known = np.count_nonzero(~np.isnan(windows), axis=2)
    no_verdict = (known < policy.min_history_days) | np.isnan(today)
    z = _z(today - median, mad, mean_ad)
    z[no_verdict] = np.nan
    seasonal = _same_weekday_median(windows, policy)
    seasonal_z = _z(today - seasonal, mad, mean_ad)
    seasonal_z[no_verdict | np.isnan(seasonal)] = np.nan
    return RobustScores(median, z, seasonal, seasonal_z)


def _same_weekday_median(windows: FloatArray, policy: AnomalyPolicy) -> FloatArray:
    """Median of the window days one, two … periods before each evaluated day (window day k is
    day t − window + k, so those are k ≡ 0 mod period); NaN with fewer than two known."""
    period = policy.seasonal_period_days
    if period <= 0 or policy.window_days < 2 * period:
        return np.full(windows.shape[:2], np.nan)
    same = windows[..., (policy.window_days % period) :: period]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        median = np.nanmedian(same, axis=2)
    median[np.count_nonzero(~np.isnan(same), axis=2) < 2] = np.nan
    return median


def detect(
    cost_by_category: FloatArray,
    categories: Sequence[str],
    *,
    first_day: int,
    policy: AnomalyPolicy = AnomalyPolicy(),
) -> tuple[Anomaly, ...]:
    """Anomalies on days `first_day`… of `cost_by_category` (series × categories × days,
    billing currency per day, NaN = no data that day), each with the categories that drove it."""
    total = _total(cost_by_category)
    scores = _combined(robust_scores(total, first_day=first_day, policy=policy))
    today = total[:, first_day:]
    delta = today - scores.baseline_cost
    with np.errstate(invalid="ignore"):
        flagged = (
            (np.abs(scores.robust_z) >= policy.threshold_z)
            & (np.abs(delta) >= policy.min_change_pct / 100.0 * np.abs(scores.baseline_cost))
            & (np.abs(delta) >= policy.min_delta_cost)
            & (delta != 0)
        )
    return tuple(
        Anomaly(
            series=int(s),
            day=int(t) + first_day,
            effective_cost=float(today[s, t]),
            baseline_cost=float(scores.baseline_cost[s, t]),
            robust_z=float(scores.robust_z[s, t]),
            direction=_direction(delta[s, t]),
            drivers=drivers(
                cost_by_category[s],
                categories,
                day=int(t) + first_day,
                direction=_direction(delta[s, t]),
                policy=policy,
            ),
        )
        for s, t in zip(*np.nonzero(flagged), strict=True)
    )


def drivers(
    cost_by_category: FloatArray,
    categories: Sequence[str],
    *,
    day: int,
    direction: Direction,
    policy: AnomalyPolicy,
) -> tuple[Driver, ...]:
    """The categories (categories × days of one series) that moved with the series on `day`:
    those whose change against their own trailing median goes the anomaly's `direction`,
    largest first, until they explain `driver_share_pct` of what moved that way."""
    window = cost_by_category[:, max(0, day - policy.window_days) : day]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        baseline = np.nan_to_num(np.nanmedian(window, axis=1))
    actual = np.nan_to_num(cost_by_category[:, day])
    delta = actual - baseline
    sign = 1.0 if direction == "spike" else -1.0
    moved = [i for i in np.argsort(-np.abs(delta), kind="stable") if delta[i] * sign > 0]
    total = float(sum(delta[i] for i in moved))
    found: list[Driver] = []
    for i in moved:
        share = 100.0 * float(delta[i]) / total
        found.append(Driver(categories[i], float(actual[i]), float(baseline[i]), share))
        if sum(d.share_pct for d in found) >= policy.driver_share_pct:
            break
    return tuple(found)


def _combined(scores: RobustScores) -> RobustScores:
    """Where the same-weekday check ran: its baseline, and the weaker z of the two (0 when they
    disagree on the direction) — a day is flagged only when both find it unusual."""
    weekly = ~np.isnan(scores.seasonal_z)
    agree = np.sign(scores.robust_z) == np.sign(scores.seasonal_z)
    weaker = np.where(
        np.abs(scores.seasonal_z) < np.abs(scores.robust_z), scores.seasonal_z, scores.robust_z
    )
    z = np.where(weekly, np.where(agree, weaker, 0.0), scores.robust_z)
    baseline = np.where(weekly, scores.seasonal_baseline_cost, scores.baseline_cost)
    return RobustScores(baseline, z, scores.seasonal_baseline_cost, scores.seasonal_z)


def _direction(delta: float) -> Direction:
    return "spike" if delta > 0 else "drop"


def _total(cost_by_category: FloatArray) -> FloatArray:
    """series × days: the sum over categories, NaN where no category has data."""
    empty = np.isnan(cost_by_category).all(axis=1)
    return np.where(empty, np.nan, np.nansum(cost_by_category, axis=1))


def _z(delta: FloatArray, mad: FloatArray, mean_ad: FloatArray) -> FloatArray:
    scale = np.where(mad > 0, mad / MAD_TO_Z, MEAN_AD_TO_SIGMA * mean_ad)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # capped just below
        z = np.where(scale > 0, delta / scale, np.where(delta == 0, 0.0, np.sign(delta) * np.inf))
    return np.clip(z, -Z_CAP, Z_CAP)
