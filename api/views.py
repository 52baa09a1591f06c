"""Data-layer dataclasses and frames turned into the API's response models."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pandas as pd

from api import schemas
from data.handoff.views import HandoffView, recorded_only_label
from data.repos.budget_status import BudgetView
from data.repos.explanations import explanation_to_json
from data.repos.job_status import JobRun, JobStatus
from data.repos.stored_recommendations import StoredRecommendation
from data.workflow import Outcome
from engine.capacity import CapacityConfig
from engine.recommendation import Money
from engine.service import Service


def etag(recommendation_id: int, version: int) -> str:
    """The strong entity tag of one recommendation at one version: `"12-3"`."""
    return f'"{recommendation_id}-{version}"'


def service(value: Service) -> schemas.Service:
    return schemas.Service(
        id=value.id, slug=value.slug, name=value.name, team=value.team, owner=value.owner,
        environment=value.environment, platform=value.platform, provider=value.provider,
        region=value.region, policy_class=value.policy_class,
    )  # fmt: skip


def recommendation(
    rec: StoredRecommendation, found: Sequence[HandoffView] = ()
) -> schemas.Recommendation:
    return schemas.Recommendation(**_recommendation_fields(rec), **_handoffs(rec, found))


def recommendation_detail(
    rec: StoredRecommendation, found: Sequence[HandoffView] = ()
) -> schemas.RecommendationDetail:
    return schemas.RecommendationDetail(
        **_recommendation_fields(rec),
        **_handoffs(rec, found),
        explanation=explanation_to_json(rec.explanation),
    )


def _handoffs(rec: StoredRecommendation, found: Sequence[HandoffView]) -> dict[str, Any]:
    """The latest hand-off's label as the summary; a decided one without any: recorded only."""
    mine = [view for view in found if view.recommendation_id == rec.id]
    summary = mine[-1].label() if mine else None
    if summary is None and rec.status in ("applied", "rolled_back"):
        summary = recorded_only_label()
    return {"handoff_summary": summary, "handoffs": [handoff(view) for view in mine]}


def handoff(view: HandoffView) -> schemas.Handoff:
    return schemas.Handoff(
        action=view.action, status=view.status, label=view.label(), change_id=view.change_id,
        target=view.target, branch=view.branch, commit=view.commit_sha, path=view.path,
        error=view.last_error, attempts=view.attempts, next_attempt_at=view.next_attempt_at,
        webhook_event_id=view.outbox_event_id,
        webhook_delivery_ids=list(view.webhook_delivery_ids), manifest=view.manifest,
    )  # fmt: skip


def _recommendation_fields(rec: StoredRecommendation) -> dict[str, Any]:
    return {
        "id": rec.id, "version": rec.version, "etag": etag(rec.id, rec.version),
        "status": rec.status, "service_id": rec.service_id, "scope": rec.scope, "kind": rec.kind,
        "rule": rec.rule, "reason": rec.reason,
        "monthly_savings": schemas.Money.of(rec.monthly_savings_usd, rec.currency),
        "savings_pct": rec.savings_pct,
        "cost_current": _modelled(rec.cost_current, rec.currency),
        "cost_proposed": _modelled(rec.cost_proposed, rec.currency),
        "risk_score": rec.risk.score, "effort": rec.effort, "restart_needed": rec.restart_needed,
        "rollback_possible": rec.rollback_possible, "current_config": _config(rec.current),
        "proposed_config": _config(rec.proposed), "created_at": rec.created_at,
        "updated_at": rec.updated_at, "postponed_until": rec.postponed_until,
        "suppressed_until": rec.suppressed_until, "decision_reason": rec.decision_reason,
    }  # fmt: skip


def _modelled(money: Money, currency: str) -> schemas.ModelledCost:
    return schemas.ModelledCost(
        basis="modelled",
        list_cost=schemas.Money.of(money.list_usd, currency),
        effective_cost=schemas.Money.of(money.effective_usd, currency),
    )


def _config(config: CapacityConfig | None) -> dict[str, Any] | None:
    return None if config is None else dataclasses.asdict(config)


def outcome(value: Outcome) -> schemas.Outcome:
    return schemas.Outcome(
        recommendation_id=value.recommendation_id, change_id=value.change_id,
        status=value.status, version=value.version, message=value.message,
        handoff=value.handoff or None,
    )  # fmt: skip


def daily_costs(frame: pd.DataFrame) -> list[schemas.DailyCost]:
    return [
        schemas.DailyCost(
            charge_date=row["charge_date"],
            service_category=row["service_category"],
            billed_cost=schemas.Money.of(row["billed_cost"], row["billing_currency"]),
            effective_cost=schemas.Money.of(row["effective_cost"], row["billing_currency"]),
            list_cost=schemas.Money.of(row["list_cost"], row["billing_currency"]),
        )
        for row in frame.to_dict("records")
    ]


def budget(view: BudgetView) -> schemas.Budget:
    b, check = view.budget, view.check
    return schemas.Budget(
        id=b.id, scope_type=b.scope_type, scope_key=b.scope_key, month=b.month,
        amount=schemas.Money.of(b.amount, b.currency),
        month_to_date_cost=schemas.Money.of(check.month_to_date_cost, b.currency),
        forecast_cost=schemas.Money.of(check.forecast_cost, b.currency),
        state=str(check.state), version=b.version,
    )  # fmt: skip


def anomalies(frame: pd.DataFrame) -> list[schemas.Anomaly]:
    return [
        schemas.Anomaly(
            id=row["anomaly_id"],
            service_id=row["service_id"],
            service_slug=row["slug"],
            team=row["team"],
            charge_date=row["charge_date"],
            effective_cost=schemas.Money.of(row["effective_cost"], row["billing_currency"]),
            baseline_cost=schemas.Money.of(row["baseline_cost"], row["billing_currency"]),
            robust_z=float(row["robust_z"]),
            direction=row["direction"],
            status=row["status"],
            acknowledged_by=None if pd.isna(row["acknowledged_by"]) else row["acknowledged_by"],
        )
        for row in frame.to_dict("records")
    ]


def job_status(value: JobStatus) -> schemas.JobStatus:
    return schemas.JobStatus(
        job=value.job, last_run=_run(value.last_run), last_success=_run(value.last_success),
        last_error=_run(value.last_error), runs_24h=value.runs_24h,
        failures_24h=value.failures_24h, pending=value.pending is not None,
    )  # fmt: skip


def _run(run: JobRun | None) -> schemas.JobRun | None:
    if run is None:
        return None
    return schemas.JobRun(
        status=run.status, started_at=run.started_at, finished_at=run.finished_at,
        rows=run.rows, error=run.error,
    )  # fmt: skip
