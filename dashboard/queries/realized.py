"""Cached reads of realized savings and SLA after apply (Changes, Overview, savings report).

Keyed by the last complete day and the newest usage hour: the figures change only when a day
completes, telemetry arrives, or an action clears the caches.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from dashboard import deps, realized_view
from dashboard.queries import fleet
from data.repos.change_sla import sla_after_changes
from data.repos.realized import RealizedMonth, month_totals, realized_savings

Sessions = sessionmaker[Session]


@deps.cached_query()
def realized(_sessions: Sessions, today: date, usage_end: datetime | None) -> pd.DataFrame:
    """One row per change (realized_view.REALIZED_COLUMNS), newest first, as of the end of
    `today` (the last complete day: its month is "this month")."""
    now = as_of(today)
    with _sessions() as session:
        found = realized_savings(session, now=now)
        checks = sla_after_changes(session, usage_end=usage_end)
    return realized_view.realized_frame(found, checks)


@deps.cached_query()
def month(_sessions: Sessions, today: date, currency: str) -> RealizedMonth:
    """This month's realized savings of measured changes against their prediction."""
    with _sessions() as session:
        return month_totals(realized_savings(session, now=as_of(today)), currency=currency)


def as_of(today: date) -> datetime:
    """The midnight that ends `today`: every day up to it is complete."""
    return datetime.combine(today + timedelta(days=1), time(), UTC)


def for_report(sessions: Sessions) -> pd.DataFrame | None:
    """The realized frame for a savings report download (None before any complete day)."""
    today = fleet.status(sessions).as_of(deps.now())
    return None if today is None else realized(sessions, today, None)
