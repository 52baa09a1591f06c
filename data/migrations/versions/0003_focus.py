"""focus: cost_daily keeps its FOCUS partition, charge category, team and allocation method

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ("charge_category", sa.String(length=20)),
    ("billing_account_id", sa.String(length=200)),
    ("billing_period_start", sa.DateTime(timezone=True)),
    ("team", sa.String(length=80)),
    ("allocated_by", sa.String(length=20)),
)


def upgrade() -> None:
    # Nullable columns: rows written before FOCUS ingest simply have no provenance. No index on
    # the partition: a restatement's delete narrows by ingested_file_id (indexed) first, and
    # one more index costs every insert.
    with op.batch_alter_table("cost_daily", schema=None) as batch_op:
        for name, type_ in _COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cost_daily", schema=None) as batch_op:
        for name, _ in reversed(_COLUMNS):
            batch_op.drop_column(name)
