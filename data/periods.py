"""Which days have ended: a day still in progress is never counted as a whole one."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from data.clock import utc


def last_complete_day(now: datetime) -> date:
    """The newest UTC day that has ended by `now` (yesterday, in UTC)."""
    return utc(now).date() - timedelta(days=1)


def complete_through(newest: date | None, now: datetime) -> date | None:
    """The newest day of data that is also complete: `newest`, unless it is still in progress
    (today) or later, then the last complete day. None without data."""
    if newest is None:
        return None
    return min(newest, last_complete_day(now))


def partial_day(newest: date | None, now: datetime) -> date | None:
    """The day in progress when the data already holds it (its cost so far is partial)."""
    if newest is None or newest <= last_complete_day(now):
        return None
    return utc(now).date()
