"""job_requests: the "Run now" queue the dashboard writes and the sidecar claims

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 10:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=60), nullable=False),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_request")),
    )
    # The page asks "is this job already pending?" and the sidecar "what is pending?": both
    # filter on (job, status).
    with op.batch_alter_table("job_request", schema=None) as batch_op:
        batch_op.create_index("ix_job_request_job_status", ["job", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job_request", schema=None) as batch_op:
        batch_op.drop_index("ix_job_request_job_status")
    op.drop_table("job_request")
