"""Daily costs per service and FOCUS service category, in billing currency."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from data.models import CostDailyRow


@dataclass(frozen=True, slots=True)
class DailyCost:
    """One day of cost for one service (None = unallocated) and one category; FOCUS names."""

    service_id: int | None
    charge_date: date
    service_category: str
    billing_currency: str
    billed_cost: float
    effective_cost: float
    list_cost: float
    provider: str
    sub_account_id: str | None = None


def insert_daily_costs(
    session: Session, costs: Sequence[DailyCost], *, ingested_file_id: int | None = None
) -> int:
    """Append daily cost rows; money goes to the database as exact decimals."""
    rows = [
        {
            "service_id": cost.service_id,
            "charge_date": cost.charge_date,
            "service_category": cost.service_category,
            "billing_currency": cost.billing_currency,
            "billed_cost": _money(cost.billed_cost),
            "effective_cost": _money(cost.effective_cost),
            "list_cost": _money(cost.list_cost),
            "provider": cost.provider,
            "sub_account_id": cost.sub_account_id,
            "ingested_file_id": ingested_file_id,
        }
        for cost in costs
    ]
    if rows:
        session.execute(insert(CostDailyRow), rows)
    return len(rows)


def latest_cost_date(session: Session) -> date | None:
    value = session.scalar(select(func.max(CostDailyRow.charge_date)))
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _money(value: float) -> Decimal:
    # repr() keeps the float's shortest exact decimal form; Decimal(float) would not.
    return Decimal(repr(value)).quantize(Decimal("1e-10"))
