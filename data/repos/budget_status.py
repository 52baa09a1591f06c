"""Where each budget stands: month-to-date cost from SQL, forecast and state from the engine."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from data import outbox_events
from data.models import BudgetAlertRow, CostDailyRow, ServiceRow
from data.repos import level_shifts, scope_cost_rollup
from data.repos.budgets import Budget, list_budgets
from data.repos.costs import latest_cost_date
from data.repos.sql import as_date, charged_between
from engine.arrays import FloatArray
from engine.budgets import BudgetCheck, check_budget
from engine.forecast_bands import Bands
from engine.month_forecast import HISTORY_DAYS, MonthOutlook, forecast_month_outlooks

ScopeKey = tuple[str, str, str]  # scope type, scope key, currency
FLEET_KEY = "fleet"  # the key of the one "fleet" scope: every cost, allocated or not
ROLLUP_DAYS = 120  # the sidecar's series: a forecast reads HISTORY_DAYS (91) back, with room


@dataclass(frozen=True, slots=True)
class BudgetView:
    """One budget for its month: the check, the daily costs behind it (billing currency).

    `actual_daily_cost` covers the month's first day to `last_cost_date` (NaN before the scope's
    first cost); `projected_daily_cost` the rest of the month, and `projected_cumulative` bands
    the month's running total over those days (80 % and 95 %, modelled).
    """

    budget: Budget
    check: BudgetCheck
    actual_daily_cost: FloatArray
    projected_daily_cost: FloatArray
    last_cost_date: date | None
    projected_cumulative: Bands | None = None


def month_bounds(month: date) -> tuple[date, date]:
    """First and last day of the month holding `month`."""
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def evaluate_budgets(session: Session, *, month: date, as_of: date) -> list[BudgetView]:
    """Every budget of `month`, judged on the costs charged up to `as_of` (or the newest
    charged day, if older). Team cost = its services' cost plus the unallocated cost an account
    rule gave the team; service cost = the service's. Costs in other currencies do not count."""
    budgets = list_budgets(session, month=month)
    first, last = month_bounds(month)
    newest = latest_cost_date(session)
    last_day = min(newest or as_of, as_of, last)
    start = min(first, last_day - timedelta(days=HISTORY_DAYS - 1))
    scopes = [(b.scope_type, b.scope_key) for b in budgets]
    series = scope_daily_costs(session, scopes, start=start, end=last_day)
    shifts = level_shifts.shift_days(session, scopes, start=start, end=last_day)
    days = (last_day - start).days + 1
    keys = [_key(b) for b in budgets]
    rows = {k: series.get(k, np.full(days, np.nan)) for k in keys}
    outlooks = pooled_outlooks(rows, shifts, (first, last, last_day))
    return [_view(b, rows[_key(b)], outlooks[_key(b)], (first, last_day), newest) for b in budgets]


def pooled_outlooks(
    series: dict[ScopeKey, FloatArray],
    shifts: dict[tuple[str, str], int],
    days: tuple[date, date, date],
) -> dict[ScopeKey, MonthOutlook]:
    """Each scope's month outlook from one forecast of all of them (same days), so a scope with
    too little history for its own 80/95 % bands borrows the others' scale-free errors
    (decision 025). Budgets pass the month's budgeted scopes; the Overview passes the same
    ones plus its own scope, so a budgeted scope shows one figure on both pages."""
    keys = sorted(series)
    if not keys:
        return {}
    first, last, last_day = days
    observed = max(0, (last_day - first).days + 1)
    outlooks = forecast_month_outlooks(
        np.vstack([series[k] for k in keys]),
        month_days_observed=observed,
        days_in_month=last.day,
        gap_days=max(0, (first - last_day).days - 1),
        shift_at=np.array([shifts.get((t, key), 0) for t, key, _ in keys], dtype=np.int64),
    )
    return dict(zip(keys, outlooks, strict=True))


def scope_daily_costs(
    session: Session, scopes: Sequence[tuple[str, str]], *, start: date, end: date
) -> dict[ScopeKey, FloatArray]:
    """Effective cost per day of [start, end] for each (scope type, key) and currency; 0 on
    days without cost, NaN before the scope's first cost in the window. Scope type "fleet" (any
    key) is every cost, allocated or not. Fleet and team series are read from the sidecar's
    rollup (scope_cost_rollup) while it is fresh and covers the days, else summed in SQL here:
    the same sums either way."""
    if (end - start).days < 0:
        return {}
    kinds = {t for t, _ in scopes} & set(scope_cost_rollup.ROLLED_UP)
    stored = scope_cost_rollup.read(session, kinds, start=start, end=end) if kinds else None
    found = _raw_sums(session, scopes, start, end, skip=kinds if stored is not None else set())
    wanted = set(scopes)
    for (scope_type, key, currency), series in (stored or {}).items():
        if scope_type == "fleet" or (scope_type, key) in wanted:
            found[(scope_type, key, currency)] = series.copy()
    for series in found.values():
        first_known = int(np.argmax(~np.isnan(series)))
        series[first_known:] = np.nan_to_num(series[first_known:])
    return found


def refresh_scope_cost_rollup(session: Session, *, now: datetime) -> int:
    """The sidecar's step: the fleet's and every team's raw daily series over the newest
    ROLLUP_DAYS charged days, stamped before summing (a cost written meanwhile makes the stamp
    old, never the sums); returns the series written."""
    taken = scope_cost_rollup.stamp(session)
    newest = latest_cost_date(session)
    if newest is None:
        return scope_cost_rollup.write(session, {}, days=(now.date(), now.date()), taken=taken,
                                       now=now)  # fmt: skip
    start = newest - timedelta(days=ROLLUP_DAYS - 1)
    teams = {
        str(team)
        for column in (ServiceRow.team, CostDailyRow.team)
        for team in session.scalars(select(column).where(column.is_not(None)).distinct())
    }
    scopes = [("fleet", FLEET_KEY), *(("team", team) for team in sorted(teams))]
    raw = _raw_sums(session, scopes, start, newest, skip=set())
    return scope_cost_rollup.write(session, raw, days=(start, newest), taken=taken, now=now)


def _raw_sums(
    session: Session, scopes: Sequence[tuple[str, str]], start: date, end: date, skip: set[str]
) -> dict[ScopeKey, FloatArray]:
    """Summed in SQL per scope, currency and day: NaN on days without a cost row."""
    days = (end - start).days + 1
    found: dict[ScopeKey, FloatArray] = {}
    columns: tuple[tuple[str, ColumnElement[str]], ...] = (
        ("team", _team_key()),
        ("service", ServiceRow.slug.expression),
    )
    for scope_type, key_column in columns:
        keys = {key for t, key in scopes if t == scope_type}
        if not keys or scope_type in skip:
            continue
        for key, currency, day, cost in _sums(session, key_column, keys, start, end):
            series = found.setdefault((scope_type, key, currency), np.full(days, np.nan))
            series[(as_date(day) - start).days] = float(cost)  # type: ignore[operator]
    if any(t == "fleet" for t, _ in scopes) and "fleet" not in skip:
        for currency, day, cost in _fleet_sums(session, start, end):
            series = found.setdefault(("fleet", FLEET_KEY, currency), np.full(days, np.nan))
            series[(as_date(day) - start).days] = float(cost)  # type: ignore[operator]
    return found


def record_alerts(session: Session, views: Iterable[BudgetView], *, now: datetime) -> int:
    """Store each budget's latest check; returns how many alerts were new or changed.

    `checked_at` moves on every check (how fresh the state is); `changed_at` only when the state
    does. Figures are compared to the cent, so re-checking unchanged costs writes nothing new.
    """
    changed = 0
    for view in views:
        row = session.get(BudgetAlertRow, view.budget.id)
        _announce(session, view, previous=row.state if row else None, now=now)
        mtd, forecast = _cents(view.check.month_to_date_cost), _cents(view.check.forecast_cost)
        if row is None:
            row = BudgetAlertRow(budget_id=view.budget.id, changed_at=now)
            session.add(row)
        elif (row.state, _cents(row.month_to_date), _cents(row.forecast)) == (
            view.check.state,
            mtd,
            forecast,
        ):
            row.checked_at = now
            continue
        elif row.state != view.check.state:
            row.changed_at = now
        row.state, row.month_to_date, row.forecast, row.checked_at = (
            view.check.state,
            mtd,
            forecast,
            now,
        )
        changed += 1
    return changed


def _announce(session: Session, view: BudgetView, *, previous: str | None, now: datetime) -> None:
    """A webhook event when the state moves; a first check only when it is not "ok"."""
    if view.check.state != (previous or "ok"):
        outbox_events.budget_state_changed(session, view, previous=previous, now=now)


def _view(
    budget: Budget,
    daily: FloatArray,
    outlook: MonthOutlook,
    days: tuple[date, date],
    newest: date | None,
) -> BudgetView:
    first, last_day = days
    check = check_budget(
        amount=float(budget.amount),
        month_to_date_cost=outlook.month_to_date_cost,
        forecast_cost=outlook.forecast_cost,
        range80=outlook.month_end_range(80),
        exceed_probability=outlook.exceed_probability(float(budget.amount)),
    )
    observed = max(0, (last_day - first).days + 1)
    actual = daily[daily.size - observed :] if observed else daily[:0]
    return BudgetView(
        budget, check, actual, outlook.projected_daily_cost, newest, outlook.cumulative
    )


def _team_key() -> ColumnElement[str]:
    # Unallocated rows (no service) count for the team an account rule assigned them to.
    return func.coalesce(ServiceRow.team, CostDailyRow.team)


def _sums(
    session: Session, key: ColumnElement[str], keys: set[str], start: date, end: date
) -> Iterable[tuple[str, str, object, Decimal]]:
    label = key.label("scope_key")
    query = (
        select(
            label,
            CostDailyRow.billing_currency,
            CostDailyRow.charge_date,
            func.sum(CostDailyRow.effective_cost),
        )
        .select_from(CostDailyRow)
        .outerjoin(ServiceRow, ServiceRow.id == CostDailyRow.service_id)
        .where(charged_between(start, end), key.in_(keys))
        .group_by(label, CostDailyRow.billing_currency, CostDailyRow.charge_date)
    )
    return [(str(k), str(c), d, Decimal(v)) for k, c, d, v in session.execute(query)]


def _fleet_sums(session: Session, start: date, end: date) -> list[tuple[str, object, Decimal]]:
    query = (
        select(
            CostDailyRow.billing_currency,
            CostDailyRow.charge_date,
            func.sum(CostDailyRow.effective_cost),
        )
        .where(charged_between(start, end))
        .group_by(CostDailyRow.billing_currency, CostDailyRow.charge_date)
    )
    return [(str(c), d, Decimal(v)) for c, d, v in session.execute(query)]


def _key(budget: Budget) -> ScopeKey:
    return (budget.scope_type, budget.scope_key, budget.currency)


def _cents(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))
