"""The sidecar's daily cost series of the fleet and each team (scope_cost_series): what the
forecasts of the Overview and Budgets read instead of summing the fleet's cost rows on a visit.

Read only while the stamp (cost and service tables) is the one taken when they were written and
they cover the days asked for; otherwise the caller sums the rows itself (the same figures)."""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from data.models import CostDailyRow, ScopeCostSeriesRow, ServiceRow
from engine.arrays import FloatArray

ScopeKey = tuple[str, str, str]  # scope type, scope key, currency
ROLLED_UP = ("fleet", "team")  # service scopes read one service's rows: cheap already


def stamp(session: Session) -> str:
    """What the series depend on: newest cost row id and cost row count, newest service id and
    service count (one statement; the counts catch deletions, the ids insertions)."""
    found = session.execute(
        select(
            select(func.max(CostDailyRow.id)).scalar_subquery(),
            # count(*), not count(id): SQLite counts the b-tree's pages (1 ms, not 14 ms).
            select(func.count()).select_from(CostDailyRow).scalar_subquery(),
            select(func.max(ServiceRow.id)).scalar_subquery(),
            select(func.count()).select_from(ServiceRow).scalar_subquery(),
        )
    ).one()
    return ":".join(str(value or 0) for value in found)


def write(
    session: Session,
    raw: dict[ScopeKey, FloatArray],
    *,
    days: tuple[date, date],
    taken: str,
    now: datetime,
) -> int:
    """Replace every series with `raw` (NaN: no cost row that day) over `days`."""
    session.execute(delete(ScopeCostSeriesRow))
    rows = [
        {
            "scope_type": scope_type,
            "scope_key": key,
            "billing_currency": currency,
            "first_day": days[0],
            "last_day": days[1],
            "daily_cost": {"costs": [None if math.isnan(v) else v for v in series.tolist()]},
            "stamp": taken,
            "computed_at": now,
        }
        for (scope_type, key, currency), series in raw.items()
    ]
    if rows:
        session.execute(insert(ScopeCostSeriesRow), rows)
    return len(rows)


def read(
    session: Session, scope_types: set[str], *, start: date, end: date
) -> dict[ScopeKey, FloatArray] | None:
    """The stored raw series of every scope of `scope_types` over [start, end], or None when
    they are stale (stamp moved), missing, or do not cover those days."""
    stored = session.scalars(
        select(ScopeCostSeriesRow).where(ScopeCostSeriesRow.scope_type.in_(scope_types))
    ).all()
    if not stored or any(r.first_day > start or r.last_day < end for r in stored):
        return None
    if len({r.stamp for r in stored}) != 1 or stored[0].stamp != stamp(session):
        return None
    found: dict[ScopeKey, FloatArray] = {}
    for row in stored:
        costs = np.array(
            [np.nan if v is None else v for v in row.daily_cost["costs"]], dtype=np.float64
        )
        offset = (start - row.first_day).days
        found[(row.scope_type, row.scope_key, row.billing_currency)] = costs[
            offset : offset + (end - start).days + 1
        ]
    return found
