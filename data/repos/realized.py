"""Realized savings of every applied change, from billed cost (FOCUS EffectiveCost) per day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import Session

from data.models import ConfigChangeRow, CostDailyRow, RecommendationRow, UsageHourlyRow
from data.periods import complete_through
from data.repos.costs import latest_cost_date
from data.repos.sql import charged_between
from engine.realized import (
    DAYS_PER_MONTH,
    MAX_WEEKS,
    DailySeries,
    NotEnoughData,
    RealizedOutcome,
    accrued_usd,
    realized_saving,
)

BASIS = "billed (FOCUS EffectiveCost, every category)"
WINDOW_DAYS = 7 * MAX_WEEKS
REQUESTS = "requests"
CORE_HOURS = "CPU core-hours"


@dataclass(frozen=True, slots=True)
class ChangeRealized:
    """One applied change: its predicted saving, what billing shows, and this month's money.

    `month_usd` is the realized saving accrued over the complete days of the month the change
    was in effect (0 while unmeasured); `predicted_month_usd` the prediction for the same days.
    """

    change_id: int
    service_id: int
    recommendation_id: int | None
    status: str
    currency: str
    predicted_monthly_usd: float | None
    result: RealizedOutcome
    demand_unit: str
    days_in_month: int
    month_usd: float
    predicted_month_usd: float


@dataclass(frozen=True, slots=True)
class _Change:
    id: int
    service_id: int
    recommendation_id: int | None
    status: str
    change_day: date
    last_day: date  # the last complete day the change was in effect
    predicted_monthly_usd: float | None


def realized_savings(session: Session, *, now: datetime) -> list[ChangeRealized]:
    """Every config change with its realized saving, newest first (see engine.realized).

    Billing: per service and day, the summed FOCUS EffectiveCost of every category in the
    service's main currency, aggregated in SQL over each change's 4 weeks before and after.
    Demand: requests served that day, or CPU core-hours used where a service has no requests.
    """
    last = complete_through(latest_cost_date(session), now)
    changes = _changes(session, last)
    if not changes or last is None:
        return [_unmeasured(c, "no billing data yet") for c in changes]
    start = min(c.change_day for c in changes) - timedelta(days=WINDOW_DAYS)
    end = max(c.last_day for c in changes)
    ids = sorted({c.service_id for c in changes})
    costs = _daily_costs(session, ids, start, end)
    demand = _daily_demand(session, ids, start, end)
    month_start = last.replace(day=1)  # "this month": the month of the last complete day
    return [_realized(c, costs, demand, month_start) for c in changes]


def _changes(session: Session, last: date | None) -> list[_Change]:
    rows = session.execute(
        select(ConfigChangeRow, RecommendationRow.monthly_savings_usd)
        .outerjoin(RecommendationRow, RecommendationRow.id == ConfigChangeRow.recommendation_id)
        .order_by(ConfigChangeRow.applied_at.desc(), ConfigChangeRow.id.desc())
    ).all()
    return [_change(row, saving, last) for row, saving in rows]


def _change(row: ConfigChangeRow, saving: Any, last: date | None) -> _Change:
    change_day = row.applied_at.astimezone(UTC).date()
    last_day = last or change_day
    if row.rolled_back_at is not None:  # the rollback day ran on both configs: not counted
        last_day = min(last_day, row.rolled_back_at.astimezone(UTC).date() - timedelta(days=1))
    return _Change(
        id=row.id,
        service_id=row.service_id,
        recommendation_id=row.recommendation_id,
        status=row.status,
        change_day=change_day,
        last_day=last_day,
        predicted_monthly_usd=None if saving is None else float(saving),
    )


def _daily_costs(
    session: Session, ids: Sequence[int], start: date, end: date
) -> dict[int, tuple[str, dict[date, float]]]:
    """Per service: its main currency and that currency's billed cost per day."""
    rows = session.execute(
        select(
            CostDailyRow.service_id,
            CostDailyRow.billing_currency,
            CostDailyRow.charge_date,
            func.sum(CostDailyRow.effective_cost),
        )
        .where(CostDailyRow.service_id.in_(ids), charged_between(start, end))
        .group_by(CostDailyRow.service_id, CostDailyRow.billing_currency, CostDailyRow.charge_date)
    ).all()
    by_currency: dict[int, dict[str, dict[date, float]]] = {}
    for service_id, currency, day, cost in rows:
        days = by_currency.setdefault(service_id or 0, {}).setdefault(str(currency), {})
        days[_as_date(day)] = float(cost)
    return {
        service_id: max(currencies.items(), key=lambda item: (sum(item[1].values()), item[0]))
        for service_id, currencies in by_currency.items()
    }


def _daily_demand(
    session: Session, ids: Sequence[int], start: date, end: date
) -> dict[int, dict[date, tuple[float, float]]]:
    """Per service and UTC day: (requests served, CPU core-hours used), summed in SQL."""
    day = _utc_day(session)
    rows = session.execute(
        select(
            UsageHourlyRow.service_id,
            day,
            func.sum(UsageHourlyRow.requests_per_s) * 3600.0,
            func.sum(UsageHourlyRow.cpu_used_mean_cores),
        )
        .where(
            UsageHourlyRow.service_id.in_(ids),
            UsageHourlyRow.hour_start >= _midnight(start),
            UsageHourlyRow.hour_start < _midnight(end + timedelta(days=1)),
        )
        .group_by(UsageHourlyRow.service_id, day)
    ).all()
    found: dict[int, dict[date, tuple[float, float]]] = {}
    for service_id, when, requests, cores in rows:
        found.setdefault(service_id, {})[_as_date(when)] = (_num(requests), _num(cores))
    return found


def _utc_day(session: Session) -> Any:
    """The UTC day of an hour: PostgreSQL converts timestamptz in the session's zone, so say UTC."""
    column = UsageHourlyRow.hour_start
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date).label("day")
    return func.date(column).label("day")


def _realized(
    change: _Change,
    costs: dict[int, tuple[str, dict[date, float]]],
    demand: dict[int, dict[date, tuple[float, float]]],
    month_start: date,
) -> ChangeRealized:
    currency, cost_by_day = costs.get(change.service_id, ("USD", {}))
    series, unit = _series(cost_by_day, demand.get(change.service_id, {}))
    result = realized_saving(
        series,
        change_day=np.datetime64(change.change_day, "D"),
        last_day=np.datetime64(change.last_day, "D"),
    )
    first = max(month_start, change.change_day + timedelta(days=1))
    days = max((change.last_day - first).days + 1, 0)
    measured = not isinstance(result, NotEnoughData)
    predicted_daily = (change.predicted_monthly_usd or 0.0) / DAYS_PER_MONTH
    return ChangeRealized(
        change_id=change.id,
        service_id=change.service_id,
        recommendation_id=change.recommendation_id,
        status=change.status,
        currency=currency,
        predicted_monthly_usd=change.predicted_monthly_usd,
        result=result,
        demand_unit=unit if measured else "",
        days_in_month=days,
        month_usd=accrued_usd(result, days),
        predicted_month_usd=predicted_daily * days if measured else 0.0,
    )


def _series(
    cost_by_day: dict[date, float], demand_by_day: dict[date, tuple[float, float]]
) -> tuple[DailySeries, str]:
    """Cost and demand per day; demand is requests when the service served any, else CPU."""
    days = sorted(cost_by_day)
    requests = np.array([demand_by_day.get(d, (np.nan, np.nan))[0] for d in days], dtype=float)
    cores = np.array([demand_by_day.get(d, (np.nan, np.nan))[1] for d in days], dtype=float)
    use_requests = bool(np.nansum(requests) > 0) if len(days) else False
    return (
        DailySeries(
            day=np.array(days, dtype="datetime64[D]"),
            cost_usd=np.array([cost_by_day[d] for d in days], dtype=float),
            demand=requests if use_requests else cores,
        ),
        REQUESTS if use_requests else CORE_HOURS,
    )


def _unmeasured(change: _Change, reason: str) -> ChangeRealized:
    return ChangeRealized(
        change_id=change.id,
        service_id=change.service_id,
        recommendation_id=change.recommendation_id,
        status=change.status,
        currency="USD",
        predicted_monthly_usd=change.predicted_monthly_usd,
        result=NotEnoughData(reason, 0),
        demand_unit="",
        days_in_month=0,
        month_usd=0.0,
        predicted_month_usd=0.0,
    )


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _num(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


@dataclass(frozen=True, slots=True)
class RealizedMonth:
    """This month's realized savings of every measured change against their prediction for
    the same days, in one currency; `waiting` changes are in effect but not measured yet."""

    currency: str
    realized_usd: float
    predicted_usd: float
    measured: int
    waiting: int


def month_totals(found: Sequence[ChangeRealized], *, currency: str) -> RealizedMonth:
    """Σ of `month_usd` and `predicted_month_usd` over the changes billed in `currency`."""
    mine = [c for c in found if c.currency == currency and c.days_in_month > 0]
    measured = [c for c in mine if not isinstance(c.result, NotEnoughData)]
    return RealizedMonth(
        currency=currency,
        realized_usd=sum(c.month_usd for c in measured),
        predicted_usd=sum(c.predicted_month_usd for c in measured),
        measured=len(measured),
        waiting=len(mine) - len(measured),
    )
