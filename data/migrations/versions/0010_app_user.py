"""app_user: people who logged in through OIDC, so the audit trail can show an e-mail

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-06 21:00:00

The audit actor is the stable `issuer|subject`; this table maps it to the e-mail (or name)
people recognise, and remembers the ID token of the last login so a login is audited once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("issuer", sa.String(length=400), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("display", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("first_login_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_token_issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("actor", name=op.f("pk_app_user")),
    )


def downgrade() -> None:
    op.drop_table("app_user")
