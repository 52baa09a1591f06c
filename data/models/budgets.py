"""Budgets and the alerts raised against them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base


class BudgetRow(Base):
    """A monthly budget for a team or a service, in one currency."""

    __tablename__ = "budget"
    __table_args__ = (UniqueConstraint("scope_type", "scope_key", "month", "currency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_type: Mapped[str] = mapped_column(String(20))
    scope_key: Mapped[str] = mapped_column(String(120))
    month: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class BudgetAlertRow(Base):
    """The latest check of one budget: month-to-date, forecast and alert state."""

    __tablename__ = "budget_alert"

    budget_id: Mapped[int] = mapped_column(
        ForeignKey("budget.id", ondelete="CASCADE"), primary_key=True
    )
    # "ok" | "at_risk" | "over"; changed_at says since when the state holds.
    state: Mapped[str] = mapped_column(String(20))
    month_to_date: Mapped[Decimal]
    forecast: Mapped[Decimal]
    checked_at: Mapped[datetime]
    changed_at: Mapped[datetime]
