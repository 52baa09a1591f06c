"""service_usage_7d, scope_cost_series: what the sidecar pre-aggregates for the pages

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 08:40:00

Decision 031 (second addendum): the Services page and Service detail showed each service's p95
CPU utilization ranked over its 7 × 24 hourly rows on every cold visit (0.27 s of SQL at 1,000
services). The sidecar now writes it after each usage collection; the pages read it while its
window ends at the newest usage hour, and rank the hours themselves otherwise. The same rows
hold each service's SLA hours (hours with a latency sample, hours over target), read by the
Overview's breach count and table and the Services page's SLA status. Likewise the
fleet's and each team's daily cost series behind the forecasts of the Overview and Budgets
(decision 025): summed over the fleet's daily cost rows on every cold visit (0.3 s at 1,000
services), now read from the sidecar's series while the cost rows match its stamp.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "service_usage_7d",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("window_end", _WHEN, nullable=False),
        sa.Column("cpu_used_p95_cores", sa.Float(), nullable=True),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("latency_hours", sa.Integer(), nullable=True),
        sa.Column("breach_hours", sa.Integer(), nullable=True),
        sa.Column("latency_p95_target_ms", sa.Float(), nullable=False),
        sa.Column("computed_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"],
            name=op.f("fk_service_usage_7d_service_id_service"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_id", name=op.f("pk_service_usage_7d")),
    )  # fmt: skip

    op.create_table(
        "scope_cost_series",
        sa.Column("scope_type", sa.String(length=20), nullable=False),
        sa.Column("scope_key", sa.String(length=120), nullable=False),
        sa.Column("billing_currency", sa.String(length=3), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("daily_cost", _JSON, nullable=False),
        sa.Column("stamp", sa.String(length=120), nullable=False),
        sa.Column("computed_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint(
            "scope_type", "scope_key", "billing_currency", name=op.f("pk_scope_cost_series")
        ),
    )


def downgrade() -> None:
    op.drop_table("scope_cost_series")
    op.drop_table("service_usage_7d")
