"""service_cost_daily, cost_rollup_state: the sidecar's per-service daily cost for the Overview

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 11:30:00

Decision 031 (session 7 section): the Overview's run-rates, cost by environment and platform, top
services and daily cost by team summed 30–60 days of the fleet's cost rows (one per FOCUS
category) on every cold visit. The sidecar's rollup_costs job now also writes each service's
(and the unallocated) effective cost per day and currency; the Overview reads it while the cost
and service tables match the stamp in cost_rollup_state, else the rows (the same sums).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_cost_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("charge_date", sa.Date(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("billing_currency", sa.String(length=3), nullable=False),
        sa.Column("effective_cost", sa.Numeric(precision=20, scale=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"],
            name=op.f("fk_service_cost_daily_service_id_service"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_cost_daily")),
    )  # fmt: skip
    op.create_index(
        "ix_service_cost_daily_covering",
        "service_cost_daily",
        ["charge_date", "billing_currency", "service_id", "effective_cost"],
    )
    op.create_table(
        "cost_rollup_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("stamp", sa.String(length=120), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cost_rollup_state")),
    )


def downgrade() -> None:
    op.drop_table("cost_rollup_state")
    op.drop_index("ix_service_cost_daily_covering", table_name="service_cost_daily")
    op.drop_table("service_cost_daily")
