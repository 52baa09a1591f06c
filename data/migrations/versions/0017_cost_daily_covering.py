"""cost_daily: the charge-date index also covers currency, service, team and effective cost

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 06:45:00

Decision 031 (addendum): every Overview figure sums effective cost over a date range grouped by
currency, day, service or team. With only (charge_date) indexed, SQLite read each row from the
table out of order and sorted all of them to group: 0.42 s CPU for the fleet's 90 daily totals
at 1,000 services. Covering those columns reads them from the index in (day, currency) order
(0.04 s); the index replaces the narrower one (same leading column), so writes keep one index.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COVERED = ["charge_date", "billing_currency", "service_id", "team", "effective_cost"]


def upgrade() -> None:
    with op.batch_alter_table("cost_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_cost_daily_date")
        batch_op.create_index("ix_cost_daily_date_covering", COVERED, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cost_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_cost_daily_date_covering")
        batch_op.create_index("ix_cost_daily_date", ["charge_date"], unique=False)
