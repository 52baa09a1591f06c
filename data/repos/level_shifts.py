"""Where a scope's daily cost may have moved to a new level: its latest applied or rolled-back
capacity change, as the day index the forecast re-levels the history from (decision 025)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import ConfigChangeRow, ServiceRow
from data.repos.sql import as_utc, end_of_day


def shift_days(
    session: Session, scopes: Sequence[tuple[str, str]], *, start: date, end: date
) -> dict[tuple[str, str], int]:
    """(scope type, key) → index (0 = `start`) of the first whole day after the scope's latest
    change applied or rolled back within [start, end]; a service's own changes, a team's
    changes to any of its services. Scopes without such a change are absent.

    The day of the change itself is partial (part old, part new level): the new level starts
    the day after. The forecast measures the step itself, so a change that moved nothing
    costs nothing.
    """
    found: dict[tuple[str, str], int] = {}
    for scope_type, column in (("service", ServiceRow.slug), ("team", ServiceRow.team)):
        keys = {key for t, key in scopes if t == scope_type}
        if not keys:
            continue
        moments = func.coalesce(ConfigChangeRow.rolled_back_at, ConfigChangeRow.applied_at)
        query = (
            select(column, func.max(moments))
            .join(ServiceRow, ServiceRow.id == ConfigChangeRow.service_id)
            .where(
                column.in_(keys),
                moments >= end_of_day(start - timedelta(days=1)),
                moments < end_of_day(end),
            )
            .group_by(column)
        )
        for key, moment in session.execute(query):
            changed = as_utc(moment)
            if changed is not None:
                first_new = changed.date() + timedelta(days=1)
                found[(scope_type, str(key))] = (first_new - start).days
    return found
