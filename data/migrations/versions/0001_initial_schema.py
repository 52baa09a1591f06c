"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 07:10:56.659196
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target_type", sa.String(length=40), nullable=False),
        sa.Column("target_id", sa.String(length=120), nullable=False),
        sa.Column(
            "before",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "after",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)
        batch_op.create_index("ix_audit_event_target", ["target_type", "target_id"], unique=False)

    op.create_table(
        "budget",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_type", sa.String(length=20), nullable=False),
        sa.Column("scope_key", sa.String(length=120), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=10), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget")),
        sa.UniqueConstraint(
            "scope_type",
            "scope_key",
            "month",
            "currency",
            name=op.f("uq_budget_scope_type_scope_key_month_currency"),
        ),
    )
    op.create_table(
        "ingested_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("file_name", sa.String(length=400), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("focus_version", sa.String(length=10), nullable=True),
        sa.Column("billing_account_id", sa.String(length=120), nullable=True),
        sa.Column("billing_period_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("billing_period_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_loaded", sa.Integer(), nullable=False),
        sa.Column(
            "totals",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "warnings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "errors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingested_file")),
        sa.UniqueConstraint("content_sha256", name=op.f("uq_ingested_file_content_sha256")),
    )
    with op.batch_alter_table("ingested_file", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ingested_file_period",
            ["source", "billing_account_id", "billing_period_start"],
            unique=False,
        )

    op.create_table(
        "job_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=60), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_run")),
    )
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.create_index("ix_job_run_job_started", ["job", "started_at"], unique=False)

    op.create_table(
        "service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("team", sa.String(length=80), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("environment", sa.String(length=20), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("policy_class", sa.String(length=30), nullable=False),
        sa.Column("latency_p95_target_ms", sa.Float(), nullable=False),
        sa.Column("availability_target_pct", sa.Float(), nullable=False),
        sa.Column("max_error_rate_pct", sa.Float(), nullable=False),
        sa.Column(
            "telemetry_selector",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "allocation_rule",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service")),
        sa.UniqueConstraint("slug", name=op.f("uq_service_slug")),
    )
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_environment"), ["environment"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_team"), ["team"], unique=False)

    op.create_table(
        "capacity_config",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("replicas", sa.Integer(), nullable=False),
        sa.Column("min_replicas", sa.Integer(), nullable=False),
        sa.Column("zones", sa.Integer(), nullable=False),
        sa.Column("instance_type", sa.String(length=40), nullable=True),
        sa.Column("cpu_request_cores", sa.Float(), nullable=True),
        sa.Column("memory_request_gib", sa.Float(), nullable=True),
        sa.Column("vcpu_per_replica", sa.Float(), nullable=False),
        sa.Column("memory_gib_per_replica", sa.Float(), nullable=False),
        sa.Column("commitment_coverage_pct", sa.Float(), nullable=False),
        sa.Column("spot_pct", sa.Float(), nullable=False),
        sa.Column("schedule", sa.String(length=80), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
            name=op.f("fk_capacity_config_service_id_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capacity_config")),
        sa.UniqueConstraint(
            "service_id", "version", name=op.f("uq_capacity_config_service_id_version")
        ),
    )
    with op.batch_alter_table("capacity_config", schema=None) as batch_op:
        batch_op.create_index(
            "ix_capacity_config_current", ["service_id", "is_current"], unique=False
        )

    op.create_table(
        "cost_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("charge_date", sa.Date(), nullable=False),
        sa.Column("service_category", sa.String(length=40), nullable=False),
        sa.Column("billing_currency", sa.String(length=3), nullable=False),
        sa.Column("billed_cost", sa.Numeric(precision=20, scale=10), nullable=False),
        sa.Column("effective_cost", sa.Numeric(precision=20, scale=10), nullable=False),
        sa.Column("list_cost", sa.Numeric(precision=20, scale=10), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("sub_account_id", sa.String(length=120), nullable=True),
        sa.Column("ingested_file_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ingested_file_id"],
            ["ingested_file.id"],
            name=op.f("fk_cost_daily_ingested_file_id_ingested_file"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
            name=op.f("fk_cost_daily_service_id_service"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cost_daily")),
    )
    with op.batch_alter_table("cost_daily", schema=None) as batch_op:
        batch_op.create_index("ix_cost_daily_date", ["charge_date"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cost_daily_ingested_file_id"), ["ingested_file_id"], unique=False
        )
        batch_op.create_index(
            "ix_cost_daily_service_date", ["service_id", "charge_date"], unique=False
        )

    op.create_table(
        "recommendation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("scope", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "current_config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "proposed_config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "monthly_cost_current_list_usd", sa.Numeric(precision=20, scale=10), nullable=False
        ),
        sa.Column(
            "monthly_cost_current_effective_usd", sa.Numeric(precision=20, scale=10), nullable=False
        ),
        sa.Column(
            "monthly_cost_proposed_list_usd", sa.Numeric(precision=20, scale=10), nullable=False
        ),
        sa.Column(
            "monthly_cost_proposed_effective_usd",
            sa.Numeric(precision=20, scale=10),
            nullable=False,
        ),
        sa.Column("monthly_savings_usd", sa.Numeric(precision=20, scale=10), nullable=False),
        sa.Column("savings_pct", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("risk_score", sa.Integer(), nullable=False),
        sa.Column(
            "sla_verdict",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "explanation",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "confidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("effort", sa.String(length=20), nullable=False),
        sa.Column("restart_needed", sa.Boolean(), nullable=False),
        sa.Column("rollback_possible", sa.Boolean(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("postponed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suppressed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
            name=op.f("fk_recommendation_service_id_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation")),
    )
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recommendation_fingerprint"), ["fingerprint"], unique=False
        )
        batch_op.create_index(
            "ix_recommendation_service_status", ["service_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_recommendation_status_savings", ["status", "monthly_savings_usd"], unique=False
        )

    op.create_table(
        "simulation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("team", sa.String(length=80), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "scenario",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "summary",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
            name=op.f("fk_simulation_service_id_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_simulation")),
    )
    with op.batch_alter_table("simulation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_simulation_service_id"), ["service_id"], unique=False)

    op.create_table(
        "usage_hourly",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("hour_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cpu_used_mean_cores", sa.Float(), nullable=False),
        sa.Column("cpu_used_p95_cores", sa.Float(), nullable=False),
        sa.Column("memory_used_max_gib", sa.Float(), nullable=False),
        sa.Column("requests_per_s", sa.Float(), nullable=False),
        sa.Column("latency_p95_ms", sa.Float(), nullable=True),
        sa.Column("error_rate_pct", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
            name=op.f("fk_usage_hourly_service_id_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_id", "hour_start", name=op.f("pk_usage_hourly")),
    )
    with op.batch_alter_table("usage_hourly", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_usage_hourly_hour_start"), ["hour_start"], unique=False
        )

    op.create_table(
        "config_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=True),
        sa.Column(
            "before",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "after",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rolled_back_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rolled_back_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendation.id"],
            name=op.f("fk_config_change_recommendation_id_recommendation"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
            name=op.f("fk_config_change_service_id_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config_change")),
    )
    with op.batch_alter_table("config_change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_config_change_service_applied", ["service_id", "applied_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("config_change", schema=None) as batch_op:
        batch_op.drop_index("ix_config_change_service_applied")

    op.drop_table("config_change")
    with op.batch_alter_table("usage_hourly", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_hourly_hour_start"))

    op.drop_table("usage_hourly")
    with op.batch_alter_table("simulation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_simulation_service_id"))

    op.drop_table("simulation")
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.drop_index("ix_recommendation_status_savings")
        batch_op.drop_index("ix_recommendation_service_status")
        batch_op.drop_index(batch_op.f("ix_recommendation_fingerprint"))

    op.drop_table("recommendation")
    with op.batch_alter_table("cost_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_cost_daily_service_date")
        batch_op.drop_index(batch_op.f("ix_cost_daily_ingested_file_id"))
        batch_op.drop_index("ix_cost_daily_date")

    op.drop_table("cost_daily")
    with op.batch_alter_table("capacity_config", schema=None) as batch_op:
        batch_op.drop_index("ix_capacity_config_current")

    op.drop_table("capacity_config")
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_team"))
        batch_op.drop_index(batch_op.f("ix_service_environment"))

    op.drop_table("service")
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.drop_index("ix_job_run_job_started")

    op.drop_table("job_run")
    with op.batch_alter_table("ingested_file", schema=None) as batch_op:
        batch_op.drop_index("ix_ingested_file_period")

    op.drop_table("ingested_file")
    op.drop_table("budget")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_target")
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))

    op.drop_table("audit_event")
