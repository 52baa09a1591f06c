"""The outbox hooks, one per event kind: what each webhook event says, built from the rows of
the change that causes it and enqueued in that change's transaction (data.outbox)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data import outbox
from data.models import BudgetRow, ConfigChangeRow, RecommendationRow, ServiceRow

if TYPE_CHECKING:  # budget_status calls this module: a runtime import would be a cycle
    from data.repos.budget_status import BudgetView

_DECISION_KINDS = {
    "apply": outbox.RECOMMENDATION_APPLIED,
    "reject": outbox.RECOMMENDATION_REJECTED,
    "postpone": outbox.RECOMMENDATION_POSTPONED,
}


def recommendation_decided(
    session: Session, row: RecommendationRow, decision: str, *, actor: str, now: datetime
) -> None:
    """An apply, reject or postpone; keyed by the version it produced (each decision once)."""
    kind = _DECISION_KINDS.get(decision)
    if kind is None:
        return
    data = {**_recommendation(session, row), "actor": actor, "status": row.status}
    outbox.enqueue(session, kind, data, dedupe_key=f"{decision}:{row.id}:{row.version}", now=now)


def change_rolled_back(
    session: Session,
    change: ConfigChangeRow,
    row: RecommendationRow | None,
    *,
    actor: str,
    now: datetime,
) -> None:
    """A rollback restores a change's `before` config; a change rolls back once."""
    data: dict[str, Any] = {
        "change_id": change.id,
        "service_id": change.service_id,
        "service": _service_name(session, change.service_id),
        "recommendation_id": change.recommendation_id,
        "actor": actor,
        "config_before_rollback": change.after,
        "config_after_rollback": change.before,
    }
    if row is not None:
        data |= {"kind": row.kind, "monthly_savings_usd": _money(row.monthly_savings_usd)}
    outbox.enqueue(
        session,
        outbox.RECOMMENDATION_ROLLED_BACK,
        data,
        dedupe_key=f"rollback:{change.id}",
        now=now,
    )


def budget_state_changed(
    session: Session, view: BudgetView, *, previous: str | None, now: datetime
) -> None:
    """A budget's alert moved to another state (ok → warning → exceeded, or back)."""
    budget, check = view.budget, view.check
    data = {
        "budget_id": budget.id,
        "scope_type": budget.scope_type,
        "scope_key": budget.scope_key,
        "month": budget.month.isoformat(),
        "amount": _money(budget.amount),
        "currency": budget.currency,
        "previous_state": previous,
        "state": check.state,
        "month_to_date_cost": round(check.month_to_date_cost, 2),
        "forecast_cost": round(check.forecast_cost, 2),
    }
    key = f"budget:{budget.id}:{budget.month:%Y-%m}:{check.state}:{now.isoformat()}"
    outbox.enqueue(session, outbox.BUDGET_STATE_CHANGED, data, dedupe_key=key, now=now)


_BUDGET_KINDS = {
    "budget_create": outbox.BUDGET_CREATED,
    "budget_update": outbox.BUDGET_UPDATED,
    "budget_delete": outbox.BUDGET_DELETED,
}


def budget_edited(
    session: Session,
    row: BudgetRow,
    action: str,
    *,
    previous_amount: Decimal | None,
    actor: str,
    now: datetime,
) -> None:
    """A person created, changed or deleted a budget (`action` is its audit action). Keyed by
    the version and the time: a deleted budget's id may be reused on SQLite."""
    data = {
        "budget_id": row.id,
        "scope_type": row.scope_type,
        "scope_key": row.scope_key,
        "month": row.month.isoformat(),
        "amount": _money(row.amount),
        "previous_amount": None if previous_amount is None else _money(previous_amount),
        "currency": row.currency,
        "version": row.version,
        "actor": actor,
    }
    key = f"{action}:{row.id}:{row.version}:{now.isoformat()}"
    outbox.enqueue(session, _BUDGET_KINDS[action], data, dedupe_key=key, now=now)


def anomaly_detected(
    session: Session,
    *,
    service_id: int,
    day: date,
    currency: str,
    values: dict[str, Any],
    now: datetime,
) -> None:
    """A new cost anomaly (not one restated costs still flag: that one was sent already)."""
    data = {
        "service_id": service_id,
        "service": _service_name(session, service_id),
        "charge_date": day.isoformat(),
        "currency": currency,
        **{name: _plain(value) for name, value in values.items()},
    }
    key = f"anomaly:{service_id}:{day.isoformat()}:{currency}"
    outbox.enqueue(session, outbox.ANOMALY_DETECTED, data, dedupe_key=key, now=now)


def recomputed_high_value(session: Session, *, min_savings_usd: float, now: datetime) -> int:
    """After a recompute's save (same transaction): the open recommendations it created or
    changed (updated_at = its `now`) saving at least `min_savings_usd` a month."""
    rows = session.scalars(
        select(RecommendationRow)
        .where(
            RecommendationRow.status == "open",
            RecommendationRow.updated_at >= now,
            RecommendationRow.monthly_savings_usd >= Decimal(str(min_savings_usd)),
        )
        .order_by(RecommendationRow.id)
    )
    return high_value_recommendations(session, rows, min_savings_usd=min_savings_usd, now=now)


def high_value_recommendations(
    session: Session, rows: Iterable[RecommendationRow], *, min_savings_usd: float, now: datetime
) -> int:
    """Each open recommendation saving at least `min_savings_usd` a month, once per row.

    Returns how many rows qualified (the unique dedupe key drops the ones already sent)."""
    qualified = 0
    for row in rows:
        if row.status != "open" or float(row.monthly_savings_usd) < min_savings_usd:
            continue
        qualified += 1
        outbox.enqueue(
            session,
            outbox.RECOMMENDATION_HIGH_VALUE,
            _recommendation(session, row),
            dedupe_key=f"high_value:{row.id}",
            now=now,
        )
    return qualified


def _recommendation(session: Session, row: RecommendationRow) -> dict[str, Any]:
    return {
        "recommendation_id": row.id,
        "version": row.version,
        "service_id": row.service_id,
        "service": _service_name(session, row.service_id),
        "scope": row.scope,
        "kind": row.kind,
        "monthly_savings_usd": _money(row.monthly_savings_usd),
        "savings_pct": round(row.savings_pct, 1),
        "current_config": row.current_config,
        "proposed_config": row.proposed_config,
    }


def _service_name(session: Session, service_id: int | None) -> str | None:
    service = session.get(ServiceRow, service_id) if service_id is not None else None
    return service.name if service is not None else None


def _money(value: Decimal) -> float:
    return round(float(value), 2)


def _plain(value: Any) -> Any:
    """JSON-safe: Decimal as a float rounded to the cent, the rest as stored."""
    return _money(value) if isinstance(value, Decimal) else value
