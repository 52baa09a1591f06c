"""One scope's (fleet, team or service) daily cost and month-end outlook, the way budgets see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from sqlalchemy.orm import Session

from data.repos import level_shifts
from data.repos.budget_status import (
    FLEET_KEY,
    month_bounds,
    pooled_outlooks,
    scope_daily_costs,
)
from data.repos.budgets import list_budgets
from data.repos.costs import latest_cost_date
from engine.arrays import FloatArray
from engine.month_forecast import HISTORY_DAYS, MonthOutlook

SHOWN_DAYS = 28  # actual days drawn before the forecast: four weeks show the weekly pattern


@dataclass(frozen=True, slots=True)
class ScopeOutlook:
    """`actual_daily_cost[i]` is the cost of `first_shown + i` days, up to `last_day` (the last
    complete day with cost); `outlook` runs from the day after to the month's end."""

    scope_type: str
    scope_key: str
    currency: str
    first_shown: date
    last_day: date
    actual_daily_cost: FloatArray
    outlook: MonthOutlook


def scope_outlook(
    session: Session, scope_type: str, scope_key: str, currency: str, *, as_of: date
) -> ScopeOutlook | None:
    """The scope's outlook for the month of `as_of` from costs up to `as_of` (or the newest
    charged day, if older); the same series and model as a budget of that scope (budget_status),
    so the two pages show one figure. None when the scope has no cost in `currency`."""
    newest = latest_cost_date(session)
    if newest is None:
        return None
    last_day = min(newest, as_of)
    first, last = month_bounds(last_day)
    if last_day == last:  # the month is complete: the outlook is for the next one
        first, last = month_bounds(last_day + timedelta(days=1))
    start = min(first, last_day - timedelta(days=HISTORY_DAYS - 1))
    key = FLEET_KEY if scope_type == "fleet" else scope_key
    wanted = (scope_type, key, currency)
    # Forecast with the month's budgeted scopes, as the Budgets page does: one figure per scope.
    pool = {(b.scope_type, b.scope_key, b.currency) for b in list_budgets(session, month=first)}
    scopes = sorted({(t, k) for t, k, _ in pool | {wanted}})
    series = scope_daily_costs(session, scopes, start=start, end=last_day)
    shifts = level_shifts.shift_days(session, scopes, start=start, end=last_day)
    daily = series.get(wanted)
    if daily is None:
        return None
    days = (last_day - start).days + 1
    rows = {k: series.get(k, np.full(days, np.nan)) for k in pool | {wanted}}
    outlook = pooled_outlooks(rows, shifts, (first, last, last_day))[wanted]
    shown = daily[-SHOWN_DAYS:]
    return ScopeOutlook(
        scope_type,
        key,
        currency,
        last_day - timedelta(days=shown.size - 1),
        last_day,
        np.asarray(shown, dtype=np.float64),
        outlook,
    )
