"""The sidecar's budget and anomaly jobs: read costs, judge them in the engine, store the verdicts.

Each function runs ONE transaction (all its writes commit together or not at all), takes its
clock from the caller and is idempotent: run twice on the same costs, the second run writes
nothing new and returns 0.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from data import periods
from data.clock import utc
from data.repos import anomalies, budget_status
from data.repos.costs import latest_cost_date
from engine.anomalies import AnomalyPolicy, detect

log = logging.getLogger(__name__)
LOOKBACK_DAYS = 7  # cost deliveries restate recent days: re-judge the last week every run
# Below one unit of the billing currency a day, a "spike" is noise nobody acts on.
MIN_DELTA_COST = 1.0
POLICY = AnomalyPolicy(min_delta_cost=MIN_DELTA_COST)


def check_budgets(sessions: sessionmaker[Session], *, now: datetime) -> int:
    """Check every budget of the current month (UTC) on the days that have ended (today's
    partial cost is forecast, not counted) and store its alert; returns the number of alerts
    that are new or whose state or figures changed."""
    today = utc(now).date()
    with sessions.begin() as session:
        views = budget_status.evaluate_budgets(
            session, month=today, as_of=periods.last_complete_day(now)
        )
        changed = budget_status.record_alerts(session, views, now=utc(now))
    log.info("checked %d budgets of %s, %d alerts changed", len(views), f"{today:%Y-%m}", changed)
    return changed


def detect_anomalies(
    sessions: sessionmaker[Session],
    *,
    now: datetime,
    lookback_days: int = LOOKBACK_DAYS,
    policy: AnomalyPolicy = POLICY,
) -> int:
    """Judge the last `lookback_days` charged days (ending with the newest complete one: a day
    in progress is never scored, its partial cost would read as a drop) of every service and
    currency against the `policy.window_days` before each; returns
    the anomaly rows inserted, changed or removed."""
    if lookback_days < 1:
        raise ValueError("lookback_days must be at least 1")
    with sessions.begin() as session:
        end = periods.complete_through(latest_cost_date(session), now)
        if end is None:
            return 0
        start = end - timedelta(days=lookback_days + policy.window_days - 1)
        cube = anomalies.cost_cube(session, start=start, end=end)
        found = detect(
            cube.effective_cost, cube.categories, first_day=policy.window_days, policy=policy
        )
        days = [end - timedelta(days=i) for i in range(lookback_days)]
        written = anomalies.store_anomalies(session, cube, found, days=days, now=utc(now))
    log.info("anomalies over %s..%s: %d found, %d rows written", days[-1], end, len(found), written)
    return written
