"""`insert_dicts` stores what a Core insert of the same rows stores (SQLite binds them itself)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import pytest
from sqlalchemy import Engine, Table, insert, select

from data.models import RecommendationRow
from data.repos.bulk import insert_dicts

TABLE = cast(Table, RecommendationRow.__table__)
NOW = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)


def _row(fingerprint: str, savings: str, *, restart: bool) -> dict[str, Any]:
    money = Decimal(savings)
    return {
        "service_id": None,
        "scope": "team:payments",
        "status": "open",
        "fingerprint": fingerprint,
        "created_at": NOW,
        "updated_at": NOW,
        "kind": "commitment",
        "rule": "commitment",
        "current_config": {"vcpu": 2.5, "nested": {"b": [1, None], "a": "é"}},
        "proposed_config": {},
        "monthly_cost_current_list_usd": money,
        "monthly_cost_current_effective_usd": money / 3,
        "monthly_cost_proposed_list_usd": Decimal("0.0000012"),
        "monthly_cost_proposed_effective_usd": Decimal(0),
        "monthly_savings_usd": money,
        "savings_pct": 12.345678901234,
        "currency": "USD",
        "risk_score": 7,
        "sla_verdict": {"ok": True},
        "explanation": {"reason": "why", "details": [0.1, 2e-7]},
        "confidence": {"level": "high"},
        "effort": "low",
        "restart_needed": restart,
        "rollback_possible": not restart,
    }


def _stored(engine: Engine, prefix: str) -> list[tuple[Any, ...]]:
    columns = [c for c in TABLE.columns if c.name not in ("id", "fingerprint")]
    query = select(*columns).where(TABLE.c.fingerprint.startswith(prefix))
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query.order_by(TABLE.c.id))]


def test_rows_stored_as_core_stores_them(db_engine: Engine) -> None:
    rows = [_row("a1", "1234.5678901234", restart=True), _row("a2", "0.1", restart=False)]
    with db_engine.begin() as connection:
        insert_dicts(connection, TABLE, rows, repeated=("scope", "created_at", "updated_at"))
        core = [{**row, "fingerprint": "b" + row["fingerprint"][1:]} for row in rows]
        connection.execute(insert(TABLE), core)
    ours, theirs = _stored(db_engine, "a"), _stored(db_engine, "b")
    assert len(ours) == 2
    assert ours == theirs  # the version default (1) and NULL columns included


def test_nothing_to_insert(db_engine: Engine) -> None:
    with db_engine.begin() as connection:
        insert_dicts(connection, TABLE, [])
    assert _stored(db_engine, "") == []


def test_a_missing_callable_default_is_refused_on_every_backend(db_engine: Engine) -> None:
    row = _row("c1", "1", restart=False)
    del row["sla_verdict"]  # default=dict: Core would call it per row, SQLite's binding cannot
    with db_engine.begin() as connection, pytest.raises(ValueError, match="sla_verdict"):
        insert_dicts(connection, TABLE, [row])
    assert _stored(db_engine, "") == []
