"""Migration 0008 gives every scope already stored its owner: the newest loaded delivery."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data.migrate import downgrade, upgrade
from data.models import BillingScopeRow

OCT, NOV = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
FILE = sa.table(
    "ingested_file",
    *(sa.column(name) for name in ("id", "source", "file_name", "content_sha256", "status",
                                   "rows_read", "rows_loaded")),
    *(sa.column(name, sa.JSON()) for name in ("totals", "warnings", "errors")),
    sa.column("ingested_at", sa.DateTime(timezone=True)),
    sa.column("billing_period_start", sa.DateTime(timezone=True)),
    sa.column("billing_period_end", sa.DateTime(timezone=True)),
)  # fmt: skip
COST = sa.table(
    "cost_daily",
    *(sa.column(name) for name in ("ingested_file_id", "service_category", "billing_currency",
                                   "provider", "billing_account_id")),
    *(sa.column(name, sa.Numeric(20, 10)) for name in ("billed_cost", "effective_cost",
                                                        "list_cost")),
    sa.column("charge_date", sa.Date()),
    sa.column("billing_period_start", sa.DateTime(timezone=True)),
)  # fmt: skip


def delivery(
    file_id: int, source: str, ingested: datetime, status: str = "loaded"
) -> dict[str, Any]:
    return {
        "id": file_id, "source": source, "file_name": f"{source}.csv", "status": status,
        "content_sha256": f"{file_id:064d}", "rows_read": 1, "rows_loaded": 1, "totals": {},
        "warnings": {}, "errors": {}, "ingested_at": ingested, "billing_period_start": OCT,
        "billing_period_end": NOV,
    }  # fmt: skip


def cost(file_id: int, account: str, day: date, provider: str = "AWS") -> dict[str, Any]:
    return {
        "ingested_file_id": file_id, "service_category": "Compute", "billing_currency": "USD",
        "provider": provider, "billing_account_id": account, "billed_cost": Decimal(1),
        "effective_cost": Decimal(1), "list_cost": Decimal(1), "charge_date": day,
        "billing_period_start": OCT,
    }  # fmt: skip


def test_0008_backfills_one_owner_per_stored_scope(db_engine: Engine) -> None:
    downgrade(db_engine, "0007")
    with db_engine.begin() as connection:
        connection.execute(sa.insert(FILE), [
            delivery(1, "upload", datetime(2026, 11, 2, tzinfo=UTC)),
            delivery(2, "billing-api", datetime(2026, 11, 3, tzinfo=UTC)),
            delivery(3, "upload", datetime(2026, 11, 4, tzinfo=UTC), status="rejected"),
        ])  # fmt: skip
        connection.execute(sa.insert(COST), [
            cost(1, "A", date(2026, 10, 20)), cost(2, "A", date(2026, 10, 12)),
            cost(2, "A", date(2026, 10, 13), provider="Unknown"), cost(1, "B", date(2026, 10, 2)),
        ])  # fmt: skip

    upgrade(db_engine)

    with Session(db_engine) as session:
        owners = session.scalars(
            select(BillingScopeRow).order_by(BillingScopeRow.billing_account_id)
        )
        found = [
            (o.billing_account_id, o.ingested_file_id, o.provider, o.charged_through,
             o.billing_period_start, o.billing_period_end)
            for o in owners
        ]  # fmt: skip
    assert found == [
        ("A", 2, "AWS", date(2026, 10, 20), OCT, NOV),  # the newest delivery; the last charge day
        ("B", 1, "AWS", date(2026, 10, 2), OCT, NOV),
    ]


def test_0008_up_and_down_keeps_every_cost_row(db_engine: Engine) -> None:
    # SQLite's batch copy of ingested_file would cascade to cost_daily (foreign keys are on).
    downgrade(db_engine, "0007")
    with db_engine.begin() as connection:
        connection.execute(
            sa.insert(FILE), [delivery(1, "upload", datetime(2026, 11, 2, tzinfo=UTC))]
        )
        connection.execute(sa.insert(COST), [cost(1, "A", date(2026, 10, 20))])

    upgrade(db_engine)
    downgrade(db_engine, "0007")

    with db_engine.connect() as connection:
        assert connection.scalar(select(sa.func.count()).select_from(COST)) == 1
