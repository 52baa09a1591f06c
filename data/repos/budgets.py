"""Monthly budgets per team or service: validated create, versioned edit and delete, audited."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, cast

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from data import outbox_events
from data.errors import Conflict, InvalidInput, NotFound
from data.models import BudgetRow, ServiceRow
from data.repos.audit import TargetType, record_event

ScopeType = Literal["team", "service"]
SCOPE_TYPES: tuple[ScopeType, ...] = ("team", "service")
MAX_AMOUNT = Decimal("1e12")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_TARGET: TargetType = "budget"


@dataclass(frozen=True, slots=True)
class NewBudget:
    """What a user asks for: `scope_key` is a team name or a service slug; `month` any day of
    the month (stored as its first day); `amount` in `currency` (ISO 4217)."""

    scope_type: str
    scope_key: str
    month: date
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Budget:
    """A stored budget; `version` is what an edit or delete must name."""

    id: int
    scope_type: ScopeType
    scope_key: str
    month: date
    amount: Decimal
    currency: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


def create_budget(session: Session, draft: NewBudget, *, actor: str, now: datetime) -> Budget:
    """Add a budget; InvalidInput when the draft is invalid or the scope already has one for
    that month and currency (edit that one instead)."""
    scope_type, scope_key = _scope(session, draft.scope_type, draft.scope_key)
    month = draft.month.replace(day=1)
    currency = _currency(draft.currency)
    _refuse_duplicate(session, scope_type, scope_key, month, currency)
    row = BudgetRow(
        scope_type=scope_type,
        scope_key=scope_key,
        month=month,
        amount=_amount(draft.amount),
        currency=currency,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    outbox_events.budget_edited(
        session, row, "budget_create", previous_amount=None, actor=actor, now=now
    )
    _audit(session, row, "budget_create", before=None, actor=actor, now=now)
    return to_budget(row)


def update_budget(
    session: Session,
    budget_id: int,
    *,
    expected_version: int,
    amount: Decimal,
    actor: str,
    now: datetime,
) -> Budget:
    """Change the amount; Conflict when someone changed the budget since `expected_version`."""
    row = _load(session, budget_id, expected_version)
    before, previous_amount = _snapshot(row), Decimal(row.amount)
    row.amount = _amount(amount)
    row.updated_at = now
    _flush(session, budget_id)
    outbox_events.budget_edited(
        session, row, "budget_update", previous_amount=previous_amount, actor=actor, now=now
    )
    _audit(session, row, "budget_update", before=before, actor=actor, now=now)
    return to_budget(row)


def delete_budget(
    session: Session, budget_id: int, *, expected_version: int, actor: str, now: datetime
) -> None:
    """Remove a budget (its alert goes with it); Conflict on a stale `expected_version`."""
    row = _load(session, budget_id, expected_version)
    outbox_events.budget_edited(
        session, row, "budget_delete", previous_amount=None, actor=actor, now=now
    )
    record_event(
        session,
        actor=actor,
        action="budget_delete",
        target=(_TARGET, row.id),
        before=_snapshot(row),
        after=None,
        detail={"version": row.version},
        now=now,
    )
    session.delete(row)
    _flush(session, budget_id)


def list_budgets(session: Session, *, month: date | None = None) -> list[Budget]:
    """Budgets (of one month when given), by scope type, scope and currency."""
    query = select(BudgetRow).order_by(
        BudgetRow.month, BudgetRow.scope_type, BudgetRow.scope_key, BudgetRow.currency
    )
    if month is not None:
        query = query.where(BudgetRow.month == month.replace(day=1))
    return [to_budget(row) for row in session.scalars(query)]


def to_budget(row: BudgetRow) -> Budget:
    return Budget(
        id=row.id,
        scope_type=cast(ScopeType, row.scope_type),
        scope_key=row.scope_key,
        month=row.month,
        amount=Decimal(row.amount),
        currency=row.currency,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


def _scope(session: Session, scope_type: str, scope_key: str) -> tuple[ScopeType, str]:
    key = scope_key.strip()
    if scope_type == "team":
        known = session.scalar(select(ServiceRow.team).where(ServiceRow.team == key).limit(1))
    elif scope_type == "service":
        known = session.scalar(select(ServiceRow.slug).where(ServiceRow.slug == key))
    else:
        raise InvalidInput(f"a budget is per team or per service, not per {scope_type!r}")
    if known is None:
        raise InvalidInput(f"no {scope_type} named {key!r} in the service catalog")
    return cast(ScopeType, scope_type), key


def _amount(value: Decimal | float | str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f"the amount {value!r} is not a number") from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise InvalidInput(f"the amount must be above 0 and at most {MAX_AMOUNT:,.0f}")
    return amount.quantize(Decimal("0.01"))


def _currency(code: str) -> str:
    currency = code.strip().upper()
    if not _CURRENCY.match(currency):
        raise InvalidInput(f"the currency must be a three-letter ISO 4217 code, not {code!r}")
    return currency


def _refuse_duplicate(
    session: Session, scope_type: str, scope_key: str, month: date, currency: str
) -> None:
    taken = session.scalar(
        select(BudgetRow.id).where(
            BudgetRow.scope_type == scope_type,
            BudgetRow.scope_key == scope_key,
            BudgetRow.month == month,
            BudgetRow.currency == currency,
        )
    )
    if taken is not None:
        raise InvalidInput(
            f"{scope_type} {scope_key} already has a {currency} budget for {month:%Y-%m} "
            f"(#{taken}): edit that one"
        )


def _load(session: Session, budget_id: int, expected_version: int) -> BudgetRow:
    row = session.get(BudgetRow, budget_id)
    if row is None:
        raise NotFound(f"budget {budget_id} does not exist (deleted meanwhile?)")
    if row.version != expected_version:
        raise Conflict(
            f"budget #{budget_id} was changed at {row.updated_at:%Y-%m-%d %H:%M} UTC since you "
            "opened it, review it again"
        )
    return row


def _flush(session: Session, budget_id: int) -> None:
    # version_id_col makes the UPDATE/DELETE match the version we read: a concurrent writer
    # that committed first leaves it matching no row.
    try:
        session.flush()
    except StaleDataError as error:
        raise Conflict(f"budget #{budget_id} changed under us, review it again") from error


def _snapshot(row: BudgetRow) -> dict[str, Any]:
    return {
        "scope_type": row.scope_type,
        "scope_key": row.scope_key,
        "month": row.month.isoformat(),
        "amount": str(Decimal(row.amount).quantize(Decimal("0.01"))),
        "currency": row.currency,
    }


def _audit(
    session: Session,
    row: BudgetRow,
    action: str,
    *,
    before: dict[str, Any] | None,
    actor: str,
    now: datetime,
) -> None:
    record_event(
        session,
        actor=actor,
        action=action,
        target=(_TARGET, row.id),
        before=before,
        after=_snapshot(row),
        detail={"version": row.version},
        now=now,
    )


def budget_scopes(session: Session) -> dict[str, list[str]]:
    """What a budget may cover: team names and service slugs of the active catalog."""
    rows = session.execute(select(ServiceRow.team, ServiceRow.slug).where(ServiceRow.active)).all()
    return {
        "team": sorted({team for team, _ in rows}),
        "service": sorted(slug for _, slug in rows),
    }
