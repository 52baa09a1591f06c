"""kube container sizing: per-container CPU p95 and memory max of discovered workloads

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 00:30:00

data/connectors/kube/sizing.py (decision 018) rewrites one row per workload container each
run: the max over the workload's pods of each pod's CPU p95 and memory max in the window.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "kube_container_sizing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("container", sa.String(length=253), nullable=False),
        sa.Column("window_start", _WHEN, nullable=False),
        sa.Column("window_end", _WHEN, nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("cpu_p95_cores", sa.Float(), nullable=True),
        sa.Column("memory_max_gib", sa.Float(), nullable=True),
        sa.Column("pods_seen", sa.Integer(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
            name=op.f("fk_kube_container_sizing_service_id_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kube_container_sizing")),
        sa.UniqueConstraint(
            "service_id", "container", name=op.f("uq_kube_container_sizing_service_id_container")
        ),
    )


def downgrade() -> None:
    op.drop_table("kube_container_sizing")
