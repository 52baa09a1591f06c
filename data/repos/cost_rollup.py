"""The sidecar's per-service daily cost (service_cost_daily): what the Overview's cost sums read
instead of the fleet's cost rows, only while the cost and service tables match its stamp."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.orm import Session

from data.models import CostDailyRow, CostRollupStateRow, ServiceCostDailyRow
from data.repos import scope_cost_rollup
from data.repos.sql import as_date

NAME = "service_cost_daily"
ROLLUP_DAYS = 120  # the newest charged days kept: run-rates read 60, the default range 30
ROWS: Table = CostDailyRow.__table__  # type: ignore[assignment]
ROLLUP: Table = ServiceCostDailyRow.__table__  # type: ignore[assignment]


def refresh(session: Session, *, now: datetime) -> int:
    """The sidecar's step: each service's (and the unallocated) effective cost per day and
    currency over the newest ROLLUP_DAYS charged days, summed in SQL from the rows; stamped
    before summing, so a cost written meanwhile makes the stamp old, never the sums. Returns the
    rows written."""
    taken = scope_cost_rollup.stamp(session)
    newest = as_date(session.scalar(select(func.max(CostDailyRow.charge_date))))
    session.execute(delete(ServiceCostDailyRow))
    session.execute(delete(CostRollupStateRow).where(CostRollupStateRow.name == NAME))
    if newest is None:
        return 0
    first = newest - timedelta(days=ROLLUP_DAYS - 1)
    summed = (
        select(
            CostDailyRow.charge_date,
            CostDailyRow.service_id,
            CostDailyRow.billing_currency,
            func.sum(CostDailyRow.effective_cost),
        )
        .where(CostDailyRow.charge_date >= first)
        .group_by(CostDailyRow.charge_date, CostDailyRow.billing_currency, CostDailyRow.service_id)
    )
    columns = ["charge_date", "service_id", "billing_currency", "effective_cost"]
    session.execute(insert(ServiceCostDailyRow).from_select(columns, summed))
    session.add(
        CostRollupStateRow(
            name=NAME, first_day=first, last_day=newest, stamp=taken, computed_at=now
        )
    )
    return session.scalar(select(func.count()).select_from(ServiceCostDailyRow)) or 0


def source(session: Session, start: date) -> Table:
    """Where to sum effective cost of days from `start` on: the rollup while its stamp holds and
    it covers `start`, else the cost rows. Both have charge_date, service_id, billing_currency
    and effective_cost; no cost row exists past the rollup's last day while the stamp holds."""
    return ROLLUP if fresh(session, start) else ROWS


def fresh(session: Session, start: date) -> bool:
    """Does the rollup hold every cost of the days from `start` on, as the rows sum them now?"""
    state = session.get(CostRollupStateRow, NAME)
    if state is None or as_date(state.first_day) > start:  # type: ignore[operator]
        return False
    return state.stamp == scope_cost_rollup.stamp(session)


def charged_between(table: Any, start: date, end: date) -> Any:
    """`sql.charged_between` on either source."""
    return (table.c.charge_date >= start) & (table.c.charge_date <= end)
