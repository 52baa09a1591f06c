"""Commitment discounts: utilization and coverage per commitment over charged days.

Utilization = used / (used + unused) EffectiveCost of the commitment (FOCUS: usage rows the
commitment covered vs its `CommitmentDiscountStatus=Unused` rows), from `commitment_daily`.

Coverage = the commitment's used EffectiveCost / the eligible usage EffectiveCost of the same
billing account (any account when the commitment's is unknown) and currency over the same days.
Eligible usage = `cost_daily` rows of service category Compute with charge category Usage (or
none, for rows stored before FOCUS provenance), minus the unused commitment cost of that
account: FOCUS books unused commitment as Usage rows too, but it paid for no resource. This
stands in for FOCUS's own definition (Committed vs Standard PricingCategory among eligible
usage), which needs a per-row PricingCategory that the daily aggregates do not keep; coverage is
empty when there is no eligible usage to divide by.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from data.models import CommitmentDailyRow, CostDailyRow
from data.repos.sql import read_frame

ELIGIBLE_CATEGORY = "Compute"
COLUMNS = [
    "commitment_discount_id",
    "commitment_discount_name",
    "commitment_discount_type",
    "billing_account_id",
    "billing_currency",
    "used_effective_cost",
    "unused_effective_cost",
    "utilization_pct",
    "coverage_pct",
    "days",
]


def commitment_usage(session: Session, *, start: date, end: date) -> pd.DataFrame:
    """One row per commitment (and currency) charged in [start, end], most unused first."""
    used = func.sum(CommitmentDailyRow.used_effective_cost)
    unused = func.sum(CommitmentDailyRow.unused_effective_cost)
    query = (
        select(
            CommitmentDailyRow.commitment_discount_id,
            func.max(CommitmentDailyRow.commitment_discount_name).label("commitment_discount_name"),
            func.max(CommitmentDailyRow.commitment_discount_type).label("commitment_discount_type"),
            CommitmentDailyRow.billing_account_id,
            CommitmentDailyRow.billing_currency,
            used.label("used_effective_cost"),
            unused.label("unused_effective_cost"),
            func.count(func.distinct(CommitmentDailyRow.charge_date)).label("days"),
        )
        .where(CommitmentDailyRow.charge_date.between(start, end))
        .group_by(
            CommitmentDailyRow.commitment_discount_id,
            CommitmentDailyRow.billing_account_id,
            CommitmentDailyRow.billing_currency,
        )
    )
    frame = read_frame(session, query)
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    total = frame["used_effective_cost"] + frame["unused_effective_cost"]
    frame["utilization_pct"] = (100.0 * frame["used_effective_cost"] / total).where(total > 0)
    frame["coverage_pct"] = _coverage_pct(session, frame, start, end)
    ordered = frame.sort_values(
        ["unused_effective_cost", "commitment_discount_id"], ascending=[False, True]
    )
    return ordered[COLUMNS].reset_index(drop=True)


def _coverage_pct(session: Session, frame: pd.DataFrame, start: date, end: date) -> pd.Series:
    by_account, by_currency = _eligible_usage(session, start, end)
    waste_account = frame.groupby(["billing_account_id", "billing_currency"])[
        "unused_effective_cost"
    ].sum()
    waste_currency = frame.groupby("billing_currency")["unused_effective_cost"].sum()
    shares = []
    for account, currency, used in frame[
        ["billing_account_id", "billing_currency", "used_effective_cost"]
    ].itertuples(index=False, name=None):
        if isinstance(account, str):
            base = by_account.get((account, currency), 0.0) - waste_account[(account, currency)]
        else:
            base = by_currency.get(currency, 0.0) - waste_currency[currency]
        shares.append(100.0 * used / base if base > 0 else float("nan"))
    return pd.Series(shares, index=frame.index, dtype="float64")


def _eligible_usage(
    session: Session, start: date, end: date
) -> tuple[dict[tuple[str, str], float], dict[str, float]]:
    """Compute usage EffectiveCost per (billing account, currency) and per currency alone."""
    is_usage = or_(CostDailyRow.charge_category == "Usage", CostDailyRow.charge_category.is_(None))
    query = (
        select(
            CostDailyRow.billing_account_id,
            CostDailyRow.billing_currency,
            func.sum(CostDailyRow.effective_cost),
        )
        .where(
            CostDailyRow.charge_date.between(start, end),
            CostDailyRow.service_category == ELIGIBLE_CATEGORY,
            is_usage,
        )
        .group_by(CostDailyRow.billing_account_id, CostDailyRow.billing_currency)
    )
    by_account: dict[tuple[str, str], float] = {}
    by_currency: dict[str, float] = {}
    for account, currency, cost in session.execute(query):
        if account is not None:
            by_account[(account, currency)] = float(cost)
        by_currency[currency] = by_currency.get(currency, 0.0) + float(cost)
    return by_account, by_currency
