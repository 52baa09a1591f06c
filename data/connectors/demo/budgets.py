"""Demo budgets: one per team for the seeded month, sized so the page shows every state."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import CostDailyRow, ServiceRow
from data.repos.budgets import NewBudget, create_budget

# Budget ÷ the team's run-rate for the month, cycled over teams in name order: comfortable,
# a little tight (at risk), well under (over before the month ends).
FACTORS = (Decimal("1.25"), Decimal("0.97"), Decimal("0.60"))
RUN_RATE_DAYS = 28


def seed_budgets(session: Session, *, month: date, actor: str, now: datetime) -> int:
    """Create a budget per team and currency for `month` from its last 28 days of effective
    cost (rounded to 100); returns how many. Call it in the seed's transaction, after costs."""
    end = session.scalar(select(func.max(CostDailyRow.charge_date)))
    if end is None:
        return 0
    days = calendar.monthrange(month.year, month.month)[1]
    created = 0
    for i, (team, currency, cost) in enumerate(_team_costs(session, end)):
        run_rate = Decimal(cost) / RUN_RATE_DAYS * days
        amount = max(Decimal(100), (run_rate * FACTORS[i % len(FACTORS)]).quantize(Decimal("1e2")))
        draft = NewBudget("team", team, month, amount, currency)
        create_budget(session, draft, actor=actor, now=now)
        created += 1
    return created


def _team_costs(session: Session, end: date) -> list[tuple[str, str, Decimal]]:
    start = end - timedelta(days=RUN_RATE_DAYS - 1)
    query = (
        select(
            ServiceRow.team, CostDailyRow.billing_currency, func.sum(CostDailyRow.effective_cost)
        )
        .join(ServiceRow, ServiceRow.id == CostDailyRow.service_id)
        .where(CostDailyRow.charge_date >= start, CostDailyRow.charge_date <= end)
        .group_by(ServiceRow.team, CostDailyRow.billing_currency)
        .order_by(ServiceRow.team, CostDailyRow.billing_currency)
    )
    return [(str(t), str(c), Decimal(v)) for t, c, v in session.execute(query) if v and v > 0]
