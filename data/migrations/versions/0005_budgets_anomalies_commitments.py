"""commitment_daily, cost_anomaly, budget_alert: commitment utilization, anomalies, budget checks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen copies of the schema's column types: a migration must not change when data.types does.
Money = sa.Numeric(precision=20, scale=10)
PortableJSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _commitment_daily()
    _cost_anomaly()
    op.create_table(
        "budget_alert",
        sa.Column("budget_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("month_to_date", Money, nullable=False),
        sa.Column("forecast", Money, nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["budget_id"],
            ["budget.id"],
            name=op.f("fk_budget_alert_budget_id_budget"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("budget_id", name=op.f("pk_budget_alert")),
    )


def _commitment_daily() -> None:
    op.create_table(
        "commitment_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ingested_file_id", sa.Integer(), nullable=False),
        sa.Column("commitment_discount_id", sa.String(length=400), nullable=False),
        sa.Column("commitment_discount_name", sa.String(length=400), nullable=True),
        sa.Column("commitment_discount_type", sa.String(length=80), nullable=True),
        sa.Column("charge_date", sa.Date(), nullable=False),
        sa.Column("billing_currency", sa.String(length=3), nullable=False),
        sa.Column("billing_account_id", sa.String(length=200), nullable=True),
        sa.Column("used_effective_cost", Money, nullable=False),
        sa.Column("unused_effective_cost", Money, nullable=False),
        sa.ForeignKeyConstraint(
            ["ingested_file_id"],
            ["ingested_file.id"],
            name=op.f("fk_commitment_daily_ingested_file_id_ingested_file"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment_daily")),
    )
    with op.batch_alter_table("commitment_daily", schema=None) as batch_op:
        batch_op.create_index(
            "ix_commitment_daily_commitment_date",
            ["commitment_discount_id", "charge_date"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_commitment_daily_ingested_file_id"), ["ingested_file_id"], unique=False
        )


def _cost_anomaly() -> None:
    op.create_table(
        "cost_anomaly",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("charge_date", sa.Date(), nullable=False),
        sa.Column("billing_currency", sa.String(length=3), nullable=False),
        sa.Column("effective_cost", Money, nullable=False),
        sa.Column("baseline_cost", Money, nullable=False),
        sa.Column("robust_z", sa.Float(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("drivers", PortableJSON, nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=120), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
            name=op.f("fk_cost_anomaly_service_id_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cost_anomaly")),
        sa.UniqueConstraint(
            "service_id",
            "charge_date",
            "billing_currency",
            name=op.f("uq_cost_anomaly_service_id_charge_date_billing_currency"),
        ),
    )


def downgrade() -> None:
    op.drop_table("budget_alert")
    op.drop_table("cost_anomaly")
    with op.batch_alter_table("commitment_daily", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commitment_daily_ingested_file_id"))
        batch_op.drop_index("ix_commitment_daily_commitment_date")
    op.drop_table("commitment_daily")
