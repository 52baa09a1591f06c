"""usage_hourly.requests_per_s nullable: a service without request metrics has no rate, not 0

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("usage_hourly", schema=None) as batch_op:
        batch_op.alter_column("requests_per_s", existing_type=sa.Float(), nullable=True)


def downgrade() -> None:
    # Unknown rates go back to the 0 the old schema stored for them.
    op.execute("UPDATE usage_hourly SET requests_per_s = 0 WHERE requests_per_s IS NULL")
    with op.batch_alter_table("usage_hourly", schema=None) as batch_op:
        batch_op.alter_column("requests_per_s", existing_type=sa.Float(), nullable=False)
