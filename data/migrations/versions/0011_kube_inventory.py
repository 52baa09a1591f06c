"""kube inventory: workloads, containers, HPA and nodes found by discovery, and its last run

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 00:00:00

Discovery (data/connectors/kube, decision 015) reads kube-state-metrics through Prometheus;
each workload is also a row in `service`, so these tables hang off it and cascade with it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "kube_workload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("cluster", sa.String(length=120), nullable=False),
        sa.Column("namespace", sa.String(length=253), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("replicas", sa.Integer(), nullable=False),
        sa.Column("labels", _JSON, nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("first_seen_at", _WHEN, nullable=False),
        sa.Column("retired_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
            name=op.f("fk_kube_workload_service_id_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kube_workload")),
        sa.UniqueConstraint(
            "cluster",
            "namespace",
            "kind",
            "name",
            name=op.f("uq_kube_workload_cluster_namespace_kind_name"),
        ),
    )
    op.create_table(
        "kube_container",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workload_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("cpu_request_cores", sa.Float(), nullable=True),
        sa.Column("cpu_limit_cores", sa.Float(), nullable=True),
        sa.Column("memory_request_gib", sa.Float(), nullable=True),
        sa.Column("memory_limit_gib", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workload_id"],
            ["kube_workload.id"],
            name=op.f("fk_kube_container_workload_id_kube_workload"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kube_container")),
        sa.UniqueConstraint("workload_id", "name", name=op.f("uq_kube_container_workload_id_name")),
    )
    op.create_table(
        "kube_hpa",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workload_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("min_replicas", sa.Integer(), nullable=True),
        sa.Column("max_replicas", sa.Integer(), nullable=True),
        sa.Column("target_cpu_utilization_pct", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workload_id"],
            ["kube_workload.id"],
            name=op.f("fk_kube_hpa_workload_id_kube_workload"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kube_hpa")),
        sa.UniqueConstraint("workload_id", name=op.f("uq_kube_hpa_workload_id")),
    )
    _nodes_and_runs()


def _nodes_and_runs() -> None:
    op.create_table(
        "kube_node",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("instance_type", sa.String(length=80), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("zone", sa.String(length=60), nullable=False),
        sa.Column("cpu_cores", sa.Float(), nullable=True),
        sa.Column("memory_gib", sa.Float(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("first_seen_at", _WHEN, nullable=False),
        sa.Column("retired_at", _WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kube_node")),
        sa.UniqueConstraint("cluster", "name", name=op.f("uq_kube_node_cluster_name")),
    )
    op.create_table(
        "kube_discovery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ran_at", _WHEN, nullable=False),
        sa.Column("window_s", sa.Integer(), nullable=False),
        sa.Column("found", _JSON, nullable=False),
        sa.Column("nodes_by_type", _JSON, nullable=False),
        sa.Column("changes", _JSON, nullable=False),
        sa.Column("skipped", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kube_discovery")),
    )


def downgrade() -> None:
    for table in ("kube_discovery", "kube_node", "kube_hpa", "kube_container", "kube_workload"):
        op.drop_table(table)
