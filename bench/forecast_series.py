"""Daily cost series the forecast backtest replays: the demo fleet's and real utilization's."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from data.catalog import load_catalog
from data.connectors.demo.costs import service_daily_costs
from data.connectors.demo.fleet import build_fleet
from data.connectors.demo.shapes import usage_window
from data.connectors.demo.well_sized import fit_well_sized
from engine.arrays import FloatArray

UTILIZATION_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "utilization"
MEAN_DAY_USD = 100.0  # the fixed price makes each real series' mean complete day cost this
SAMPLES_PER_DAY = 288  # 5-minute samples
# NAB's labelled anomaly windows (start, end) for the seven series, from numenta/NAB
# labels/combined_windows.json (commit 07b379d; MIT, Copyright 2014-2024 Numenta Inc., the
# license beside the series in ../shared/data/utilization/). NAB is an anomaly benchmark: each
# real series was picked because it holds labelled anomalies.
NAB_ANOMALY_WINDOWS: dict[str, tuple[tuple[str, str], ...]] = {
    "ec2_cpu_utilization_24ae8d": (
        ("2014-02-26 13:45", "2014-02-27 06:25"),
        ("2014-02-27 08:55", "2014-02-28 01:35"),
    ),
    "ec2_cpu_utilization_5f5533": (
        ("2014-02-18 16:02", "2014-02-19 08:42"),
        ("2014-02-24 10:17", "2014-02-25 02:57"),
    ),
    "ec2_cpu_utilization_825cc2": (("2014-04-14 22:59", "2014-04-16 08:29"),),
    "ec2_cpu_utilization_ac20cd": (("2014-04-14 07:49", "2014-04-15 17:34"),),
    "ec2_network_in_257a54": (("2014-04-14 23:59", "2014-04-16 09:29"),),
    "elb_request_count_8c0756": (
        ("2014-04-12 09:04", "2014-04-13 01:44"),
        ("2014-04-22 11:14", "2014-04-23 03:54"),
    ),
    "rds_cpu_utilization_cc0c53": (
        ("2014-02-24 22:50", "2014-02-25 15:35"),
        ("2014-02-26 16:30", "2014-02-27 09:10"),
    ),
}


@dataclass(frozen=True, slots=True)
class DemoSeries:
    """Effective cost per day (USD), rows × days: per service, per team, the fleet."""

    services: FloatArray
    teams: FloatArray
    fleet: FloatArray


def demo_series(
    *, end: datetime, seed: int = 42, n_services: int = 150, days: int = 90
) -> DemoSeries:
    """The demo generator's costs (what seed_demo_fleet loads), without a database."""
    catalog = load_catalog()
    fleet = build_fleet(catalog, seed=seed, n_services=n_services)
    by_service: dict[int, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    team_of: dict[int, str] = {}
    for index, service in enumerate(fleet):
        window = usage_window(service, service_id=0, end=end, days=days)
        service = fit_well_sized(service, window, catalog, now=end)
        team_of[index] = service.draft.team
        for cost in service_daily_costs(service, window, catalog=catalog):
            by_service[index][cost.charge_date] += cost.effective_cost
    all_days = sorted({d for costs in by_service.values() for d in costs})
    services = np.array([[by_service[i].get(d, 0.0) for d in all_days] for i in range(len(fleet))])
    teams = sorted(set(team_of.values()))
    team_rows = np.array(
        [services[[i for i, t in team_of.items() if t == team]].sum(0) for team in teams]
    )
    # The first and last day of the window are partial (hours since `end - days`): drop them.
    return DemoSeries(
        services[:, 1:-1], team_rows[:, 1:-1], services.sum(0, keepdims=True)[:, 1:-1]
    )


def real_series(directory: Path = UTILIZATION_DIR) -> FloatArray:
    """rows × days: each NAB series' complete UTC days, Σ samples × a price making the mean
    day cost MEAN_DAY_USD; the series are cut to the shortest one's day count."""
    rows = []
    for path in sorted(directory.glob("*.csv")):
        _, day_totals = _complete_days(path)
        rows.append(day_totals * MEAN_DAY_USD / day_totals.mean())
    days = min(len(r) for r in rows)
    return np.array([r[:days] for r in rows])


def real_anomaly_days(directory: Path = UTILIZATION_DIR) -> npt.NDArray[np.bool_]:
    """rows × days like real_series: True on a day that a NAB labelled anomaly window touches."""
    rows = []
    for path in sorted(directory.glob("*.csv")):
        days, _ = _complete_days(path)
        windows = [
            (datetime.fromisoformat(a).date(), datetime.fromisoformat(b).date())
            for a, b in NAB_ANOMALY_WINDOWS.get(path.stem, ())
        ]
        rows.append([any(a <= d <= b for a, b in windows) for d in days])
    count = min(len(r) for r in rows)
    return np.array([r[:count] for r in rows], dtype=np.bool_)


def _complete_days(path: Path) -> tuple[list[date], FloatArray]:
    """The file's UTC days with ≥ 95 % of their 5-minute samples, and each day's Σ of values."""
    totals: dict[date, float] = defaultdict(float)
    counts: dict[date, int] = defaultdict(int)
    with path.open(newline="") as handle:
        for record in csv.DictReader(handle):
            day = datetime.fromisoformat(record["timestamp"]).date()
            totals[day] += float(record["value"])
            counts[day] += 1
    complete = [d for d in sorted(totals) if counts[d] >= SAMPLES_PER_DAY * 0.95]
    return complete, np.array([totals[d] for d in complete])
