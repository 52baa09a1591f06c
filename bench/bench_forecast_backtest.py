"""Rolling-origin backtest of the daily cost forecasts (decision 025): the seasonal-naive baseline
vs the candidates with calibrated intervals, on the demo fleet and on real utilization series.

Demo: the demo generator's effective cost per day (the costs `seed_demo_fleet` loads), summed per
service, per team and for the fleet; origins every 7 days from day 35, horizon 28 days.
Real: the Numenta NAB series in ../shared/data/utilization/ (MIT, 5-minute samples, 14 days):
a day's cost = Σ of its samples × a fixed price chosen so the series' mean complete day costs
$100 (MAPE and coverage are scale-free; MAE reads in dollars of a $100/day service). The first
and last (partial) days are dropped. With 13 days, origins are every day from day 7.
Control for the real series' shape: 13-day windows of the demo (days 1-13, 31-43, 61-73) with
the same origins, so a short-history effect is told apart from the NAB series' own steps.
Then a breakdown of the real series' coverage by origin, series and horizon (decision 025).
Wall times are inflated by other load on a shared machine: CPU seconds and the load average are
printed beside them.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

# `make bench` runs this file directly: put the repository root on the import path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.forecast_diagnostics import coverage_breakdown
from bench.forecast_series import demo_series, real_anomaly_days, real_series
from engine.arrays import FloatArray
from engine.forecast import project_daily
from engine.forecast_bands import DEFAULT_METHOD, forecast_cost
from engine.forecast_points import MethodName

HORIZON_DAYS = 28
CANDIDATES: tuple[MethodName, ...] = ("seasonal_naive", "damped_holt_winters", "robust_trend")
END = datetime(2026, 11, 1, tzinfo=UTC)
SHORT_DAYS = 13  # the real series' complete days: the demo control is cut to the same length
SHORT_STARTS = (0, 30, 60)


@dataclass(frozen=True, slots=True)
class Score:
    """One method on one data set: point errors and the share of held-out days inside bands."""

    mae: float
    smape_pct: float
    cover80_pct: float
    cover95_pct: float
    sum_cover80_pct: float
    width80_pct: float  # mean 80 % interval width ÷ the history's last-week median, in %
    days: int


def backtest(
    series: FloatArray, origins: range, method: MethodName | None, *, pool: bool = True
) -> Score:
    """Forecast from each origin on the history before it only; score the held-out days."""
    rows: list[tuple[FloatArray, ...]] = []
    for origin in origins:
        ahead = min(HORIZON_DAYS, series.shape[1] - origin)
        actual = series[:, origin : origin + ahead]
        history = series[:, :origin]
        if method is None:
            point = project_daily(history, horizon_days=ahead)
            nan = np.full_like(point, np.nan)
            rows.append((actual, point, nan, nan, nan, nan, actual.sum(1), nan[:, 0], nan[:, 0]))
            rows[-1] += (nan,)
            continue
        fc = forecast_cost(history, ahead, method=method, pool=pool)
        b, month = fc.daily, fc.cumulative
        total = (actual.sum(1), month.lower80[:, -1], month.upper80[:, -1])
        level = np.maximum(np.nanmedian(history[:, -7:], axis=1), 1e-9)[:, None]
        width = (b.upper80 - b.lower80) / level
        rows.append((actual, fc.point, b.lower80, b.upper80, b.lower95, b.upper95, *total, width))
    return _score(rows)


def _score(rows: list[tuple[FloatArray, ...]]) -> Score:
    actual, point, lo80, hi80, lo95, hi95 = (
        np.concatenate([r[i].ravel() for r in rows]) for i in range(6)
    )
    total, sum_lo, sum_hi = (np.concatenate([r[i] for r in rows]) for i in range(6, 9))
    width = np.concatenate([r[9].ravel() for r in rows])
    denominator = np.abs(actual) + np.abs(point)
    # sMAPE: a day where forecast and actual are both 0 is a perfect 0, not a division by 0.
    smape = np.divide(
        2 * np.abs(actual - point), denominator, out=np.zeros_like(actual), where=denominator > 0
    )
    return Score(
        mae=float(np.mean(np.abs(actual - point))),
        smape_pct=100 * float(np.mean(smape)),
        cover80_pct=100 * float(np.mean((actual >= lo80) & (actual <= hi80))),
        cover95_pct=100 * float(np.mean((actual >= lo95) & (actual <= hi95))),
        sum_cover80_pct=100 * float(np.mean((total >= sum_lo) & (total <= sum_hi))),
        width80_pct=100 * float(np.mean(width)) if not np.isnan(width).all() else float("nan"),
        days=int(actual.size),
    )


def _table(name: str, series: FloatArray, origins: range) -> None:
    print(f"\n{name}: {series.shape[0]} series × {series.shape[1]} days, origins {list(origins)}")
    print(
        f"  {'method':<32}{'MAE':>10}{'sMAPE %':>9}{'80 %':>7}{'95 %':>7}{'sum80':>7}"
        f"{'w80 %':>7}{'n':>8}"
    )
    runs = [(None, True), *((m, True) for m in CANDIDATES), (DEFAULT_METHOD, False)]
    for method, pool in runs:
        started, cpu = time.perf_counter(), time.process_time()
        s = backtest(series, origins, method, pool=pool)
        name = "baseline (seasonal naive, 009)" if method is None else str(method)
        label = name if pool else f"{name}, own errors only"
        cover = (
            "      —      —      —      —"
            if method is None
            else f"{s.cover80_pct:7.1f}{s.cover95_pct:7.1f}{s.sum_cover80_pct:7.1f}"
            f"{s.width80_pct:7.1f}"
        )
        print(
            f"  {label:<32}{s.mae:10.2f}{s.smape_pct:9.2f}{cover}{s.days:8d}"
            f"   ({time.perf_counter() - started:.1f} s wall, "
            f"{time.process_time() - cpu:.1f} s CPU)"
        )


def main() -> int:
    demo = demo_series(end=END)
    days = demo.services.shape[1]
    weekly = range(35, days - 1, 7)
    _table("demo services", demo.services, weekly)
    _table("demo teams", demo.teams, weekly)
    _table("demo fleet", demo.fleet, weekly)
    _table("demo all levels", np.vstack([demo.services, demo.teams, demo.fleet]), weekly)
    for start in SHORT_STARTS:
        window = demo.services[:, start : start + SHORT_DAYS]
        _table(
            f"demo services, days {start + 1}-{start + SHORT_DAYS}", window, range(7, SHORT_DAYS)
        )
    real = real_series()
    _table("real utilization (NAB) as cost", real, range(7, real.shape[1]))
    print("\nreal utilization (NAB) as cost, robust trend with pooled bands: where it misses")
    coverage_breakdown(real, range(7, real.shape[1]), real_anomaly_days())
    print(f"\nload average (1, 5, 15 min): {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
