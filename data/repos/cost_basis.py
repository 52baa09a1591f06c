"""Billed cost of one service by FOCUS category, to set beside the modelled cost of a config."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import CostDailyRow
from data.repos.fleet import RUN_RATE_DAYS, first_cost_date, monthly_run_rate, run_rate_days
from data.repos.sql import charged_between

# The categories the cost model prices: a config's modelled cost is its compute.
MODELLED_CATEGORY = "Compute"


@dataclass(frozen=True, slots=True)
class BilledRunRate:
    """One service's billed run-rate (FOCUS EffectiveCost, the rule of `fleet.fleet_kpis`) per
    category, in its main billing currency; the model prices compute only."""

    billing_currency: str
    monthly_by_category: dict[str, float]

    @property
    def monthly_total(self) -> float:
        """Σ of every category (what Services and Service detail show)."""
        return sum(self.monthly_by_category.values())

    @property
    def monthly_compute(self) -> float:
        """The compute part, the one a modelled config cost compares with."""
        return self.monthly_by_category.get(MODELLED_CATEGORY, 0.0)

    @property
    def monthly_not_modelled(self) -> float:
        """Storage, networking and every other category the cost model does not price."""
        return self.monthly_total - self.monthly_compute


def billed_run_rate(session: Session, service_id: int, *, today: date) -> BilledRunRate | None:
    """The service's billed run-rate per category over the 30 days ending `today` (the
    largest currency when it is billed in several); None when nothing was charged to it."""
    start = today - timedelta(days=RUN_RATE_DAYS - 1)
    rows = session.execute(
        select(
            CostDailyRow.billing_currency,
            CostDailyRow.service_category,
            func.sum(CostDailyRow.effective_cost),
        )
        .where(CostDailyRow.service_id == service_id, charged_between(start, today))
        .group_by(CostDailyRow.billing_currency, CostDailyRow.service_category)
    ).all()
    if not rows:
        return None
    days = run_rate_days(today, first_cost_date(session))
    by_currency: dict[str, dict[str, float]] = {}
    for currency, category, cost in rows:
        monthly = monthly_run_rate(float(cost), days=days)
        by_currency.setdefault(str(currency), {})[str(category)] = monthly
    currency = max(by_currency, key=lambda c: (sum(by_currency[c].values()), c))
    return BilledRunRate(currency, by_currency[currency])
