"""Why the forecast's 80 % intervals cover what they cover: per series, per origin, per horizon."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine.arrays import FloatArray, IntArray
from engine.forecast_bands import DEFAULT_METHOD, forecast_cost, past_errors

HORIZON_DAYS = 28


def coverage_breakdown(
    series: FloatArray, origins: range, anomalous: npt.NDArray[np.bool_] | None = None
) -> None:
    """Print the 80 % coverage of held-out days by origin (with how many past errors each row
    was calibrated on), by series and by horizon, and the held-out vs calibration errors
    (÷ the row's recent level) by horizon: are held-out errors larger than calibration's?"""
    rows = series.shape[0]
    inside = np.full((rows, series.shape[1], HORIZON_DAYS), np.nan)  # row × origin × step
    held: list[list[float]] = [[] for _ in range(HORIZON_DAYS)]
    calibration: list[list[float]] = [[] for _ in range(HORIZON_DAYS)]
    print("  origin  own errors per row (min/median/max)   80 %  width80/level  held-out days")
    for origin in origins:
        ahead = min(HORIZON_DAYS, series.shape[1] - origin)
        history, actual = series[:, :origin], series[:, origin : origin + ahead]
        fc = forecast_cost(history, ahead)
        hit = (actual >= fc.daily.lower80) & (actual <= fc.daily.upper80)
        inside[:, origin, :ahead] = hit
        level = _recent_level(history)
        width = np.mean((fc.daily.upper80 - fc.daily.lower80) / level[:, None])
        print(
            f"  {origin:6d}  {_spread(fc.calibration_errors):<34}{100 * hit.mean():6.1f}"
            f"{width:14.2f}{actual.size:15d}"
        )
        _collect(held, np.abs(actual - fc.point) / level[:, None])
        errors = np.abs(past_errors(history, ahead, method=DEFAULT_METHOD)) / level[:, None, None]
        _collect(calibration, errors.transpose(0, 2, 1))  # row × step × past origin
    by_row = np.nanmean(inside.reshape(rows, -1), axis=1)
    print("  80 % by series: " + "  ".join(f"{100 * c:.0f}" for c in by_row))
    _by_horizon(inside, held, calibration)
    if anomalous is not None:
        _by_label(inside, anomalous)


def _by_label(inside: FloatArray, anomalous: npt.NDArray[np.bool_]) -> None:
    """80 % coverage of held-out days inside / outside the labelled anomaly windows."""
    _, days, steps = inside.shape
    day = np.arange(days)[:, None] + np.arange(steps)[None, :]  # origin × step → held-out day
    labelled = np.zeros(inside.shape, dtype=np.bool_)
    valid = day < anomalous.shape[1]
    labelled[:, valid] = anomalous[:, day[valid]]
    known = ~np.isnan(inside)
    for name, mask in (("inside", labelled & known), ("outside", ~labelled & known)):
        share = 100 * float(np.mean(inside[mask])) if mask.any() else float("nan")
        print(
            f"  held-out days {name} a labelled anomaly window: {int(mask.sum()):4d},"
            f" 80 % {share:.1f}"
        )


def _by_horizon(
    inside: FloatArray, held: list[list[float]], calibration: list[list[float]]
) -> None:
    print("  step  80 %   held-out n  median |e|/level   calibration n  median |e|/level")
    for step in range(HORIZON_DAYS):
        hits = inside[:, :, step]
        if np.isnan(hits).all():
            break
        cal = calibration[step]
        cal_median = f"{np.median(cal):18.3f}" if cal else f"{'—':>18}"
        print(
            f"  {step + 1:4d}{100 * np.nanmean(hits):6.1f}{len(held[step]):13d}"
            f"{np.median(held[step]):18.3f}{len(cal):16d}{cal_median}"
        )


def _collect(into: list[list[float]], scores: FloatArray) -> None:
    """Append each step's known scores (rows × steps, or rows × steps × origins)."""
    for step in range(scores.shape[1]):
        column = scores[:, step].ravel()
        into[step].extend(float(v) for v in column[~np.isnan(column)])


def _spread(counts: IntArray) -> str:
    return f"{int(counts.min())} / {float(np.median(counts)):g} / {int(counts.max())}"


def _recent_level(history: FloatArray) -> FloatArray:
    """Per row: the median of the last week (what pooling divides errors by), at least 1e-9."""
    return np.maximum(np.nanmedian(history[:, -7:], axis=1), 1e-9)
