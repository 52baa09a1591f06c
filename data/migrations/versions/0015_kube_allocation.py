"""kube allocation: node cost per cluster-day and its workload and idle lines

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 01:00:00

Modelled dollars (decision 014, "Wiring"): node prices from the catalog allocated to workloads
by max(request, usage), the rest idle. Kept apart from cost_daily, which holds billed amounts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)
_MONEY = sa.Numeric(precision=20, scale=10)


def upgrade() -> None:
    op.create_table(
        "kube_cluster_cost_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cluster", sa.String(length=120), nullable=False),
        sa.Column("node_cost_usd", _MONEY, nullable=False),
        sa.Column("node_hours", sa.Integer(), nullable=False),
        sa.Column("unpriced_node_hours", sa.Integer(), nullable=False),
        sa.Column("overcommitted_hours", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(length=60), nullable=False),
        sa.Column("computed_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kube_cluster_cost_daily")),
        sa.UniqueConstraint("day", "cluster", name=op.f("uq_kube_cluster_cost_daily_day_cluster")),
    )
    op.create_index(
        op.f("ix_kube_cluster_cost_daily_day"), "kube_cluster_cost_daily", ["day"], unique=False
    )
    op.create_table(
        "kube_allocation_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cluster", sa.String(length=120), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("cpu_usd", _MONEY, nullable=False),
        sa.Column("memory_usd", _MONEY, nullable=False),
        sa.Column("total_usd", _MONEY, nullable=False),
        sa.Column("basis", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
            name=op.f("fk_kube_allocation_daily_service_id_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kube_allocation_daily")),
    )
    op.create_index(
        op.f("ix_kube_allocation_daily_day"), "kube_allocation_daily", ["day"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_kube_allocation_daily_day"), table_name="kube_allocation_daily")
    op.drop_table("kube_allocation_daily")
    op.drop_index(op.f("ix_kube_cluster_cost_daily_day"), table_name="kube_cluster_cost_daily")
    op.drop_table("kube_cluster_cost_daily")
