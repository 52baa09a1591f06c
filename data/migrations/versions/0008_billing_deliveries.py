"""billing deliveries: delivery_part, billing_scope (one owner per scope), part_count, exported_at

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 09:00:00
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNKNOWN_PROVIDER = "Unknown"  # what the connector writes for an empty ProviderName


def upgrade() -> None:
    # Plain ALTER TABLE, never SQLite's batch copy-and-move: dropping the old ingested_file
    # would cascade (foreign keys are on) and delete every cost and commitment row.
    op.add_column(
        "ingested_file", sa.Column("part_count", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column("ingested_file", sa.Column("exported_at", sa.DateTime(timezone=True)))
    _delivery_part()
    _billing_scope()
    _backfill_scopes()


def _delivery_part() -> None:
    op.create_table(
        "delivery_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ingested_file_id", sa.Integer(), nullable=False),
        sa.Column("part_name", sa.String(length=400), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ingested_file_id"],
            ["ingested_file.id"],
            name=op.f("fk_delivery_part_ingested_file_id_ingested_file"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_part")),
    )
    with op.batch_alter_table("delivery_part", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_part_content_sha256"), ["content_sha256"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_delivery_part_ingested_file_id"), ["ingested_file_id"], unique=False
        )


def _billing_scope() -> None:
    op.create_table(
        "billing_scope",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("billing_account_id", sa.String(length=200), nullable=False),
        sa.Column("billing_period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("billing_period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ingested_file_id", sa.Integer(), nullable=False),
        sa.Column("charged_through", sa.Date(), nullable=False),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ingested_file_id"],
            ["ingested_file.id"],
            name=op.f("fk_billing_scope_ingested_file_id_ingested_file"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_scope")),
        sa.UniqueConstraint(
            "billing_account_id",
            "billing_period_start",
            name=op.f("uq_billing_scope_billing_account_id_billing_period_start"),
        ),
    )
    with op.batch_alter_table("billing_scope", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billing_scope_ingested_file_id"), ["ingested_file_id"], unique=False
        )


# Typed views of the tables the backfill reads and writes (SQLite returns dates as text
# otherwise); frozen here so the migration does not change when the models do.
_COST = sa.table(
    "cost_daily",
    sa.column("billing_account_id", sa.String()),
    sa.column("billing_period_start", sa.DateTime(timezone=True)),
    sa.column("ingested_file_id", sa.Integer()),
    sa.column("provider", sa.String()),
    sa.column("charge_date", sa.Date()),
)
_FILE = sa.table(
    "ingested_file",
    sa.column("id", sa.Integer()),
    sa.column("status", sa.String()),
    sa.column("ingested_at", sa.DateTime(timezone=True)),
    sa.column("billing_period_start", sa.DateTime(timezone=True)),
    sa.column("billing_period_end", sa.DateTime(timezone=True)),
)
_SCOPE = sa.table(
    "billing_scope",
    sa.column("provider", sa.String()),
    sa.column("billing_account_id", sa.String()),
    sa.column("billing_period_start", sa.DateTime(timezone=True)),
    sa.column("billing_period_end", sa.DateTime(timezone=True)),
    sa.column("ingested_file_id", sa.Integer()),
    sa.column("charged_through", sa.Date()),
    sa.column("loaded_at", sa.DateTime(timezone=True)),
)


def _backfill_scopes() -> None:
    """Give every scope already stored its owner: the newest loaded delivery holding rows of it
    (so an older delivery arriving after the upgrade cannot replace it). Rows another source
    stored for the same scope before this revision stay; the next delivery replaces them."""
    query = (
        sa.select(
            _COST.c.billing_account_id,
            _COST.c.billing_period_start,
            _COST.c.ingested_file_id,
            _COST.c.provider,
            sa.func.max(_COST.c.charge_date),
            _FILE.c.ingested_at,
            _FILE.c.billing_period_start,
            _FILE.c.billing_period_end,
        )
        .join(_FILE, _FILE.c.id == _COST.c.ingested_file_id)
        .where(
            _COST.c.billing_account_id.is_not(None),
            _COST.c.billing_period_start.is_not(None),
            _FILE.c.status == "loaded",
        )
        .group_by(
            _COST.c.billing_account_id, _COST.c.billing_period_start, _COST.c.ingested_file_id,
            _COST.c.provider, _FILE.c.ingested_at, _FILE.c.billing_period_start,
            _FILE.c.billing_period_end,
        )
    )  # fmt: skip
    scopes: dict[tuple[str, datetime], list[Any]] = defaultdict(list)
    bind = op.get_bind()
    for row in bind.execute(query):
        scopes[(row[0][:200], row[1])].append(row)
    owners = [_owner(account, start, rows) for (account, start), rows in scopes.items()]
    if owners:
        bind.execute(sa.insert(_SCOPE), owners)


def _owner(account: str, start: datetime, rows: list[Any]) -> dict[str, Any]:
    newest = max(rows, key=lambda row: (row[5], row[2]))
    file_id, file_start, file_end = newest[2], newest[6], newest[7]
    providers = sorted({row[3] for row in rows if row[2] == file_id} - {_UNKNOWN_PROVIDER})
    return {
        "provider": (", ".join(providers) or _UNKNOWN_PROVIDER)[:200],
        "billing_account_id": account,
        "billing_period_start": start,
        "billing_period_end": file_end if file_start == start and file_end else _month_after(start),
        "ingested_file_id": file_id,
        "charged_through": max(row[4] for row in rows),
        "loaded_at": newest[5],
    }


def _month_after(start: datetime) -> datetime:
    """FOCUS billing periods are calendar months almost always: the guess when a delivery
    spanning several periods recorded only its widest range."""
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return start.replace(year=year, month=month, day=1)


def downgrade() -> None:
    with op.batch_alter_table("billing_scope", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billing_scope_ingested_file_id"))
    op.drop_table("billing_scope")
    with op.batch_alter_table("delivery_part", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_part_ingested_file_id"))
        batch_op.drop_index(batch_op.f("ix_delivery_part_content_sha256"))
    op.drop_table("delivery_part")
    # SQLite ≥ 3.35 drops a column in place; a batch copy would cascade (see upgrade).
    op.drop_column("ingested_file", "exported_at")
    op.drop_column("ingested_file", "part_count")
