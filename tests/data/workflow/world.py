"""Builders for workflow tests: a service with a config, stored recommendations, DB snapshots."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.guard import DENIED
from data.models import AuditEventRow, CapacityConfigRow, ConfigChangeRow, RecommendationRow
from data.repos import services
from data.repos.recommendations import save_recommendations as save
from data.repos.stored_recommendations import StoredRecommendation, list_recommendations
from data.workflow import Workflow, WorkflowPolicy
from engine.capacity import CapacityConfig
from engine.recommendation import Money, Recommendation
from tests.factories import T0, make_new_service, make_vm_config

NOW = T0 + timedelta(days=1)
ADMIN = "root"
ROLES: dict[str, Any] = {"vera": "viewer", "ana": "analyst", "apu": "approver", "ada": "admin"}


def make_policy(**overrides: Any) -> WorkflowPolicy:
    return replace(WorkflowPolicy(roles=ROLES, local_actor=ADMIN), **overrides)


def make_flow(sessions: sessionmaker[Session], **overrides: Any) -> Workflow:
    return Workflow(sessions, make_policy(**overrides))


def add_service(
    sessions: sessionmaker[Session],
    slug: str = "checkout-api",
    config: CapacityConfig | None = None,
) -> int:
    """A catalogued service whose current config is `config` (3 × m5.large by default)."""
    with sessions.begin() as session:
        (service,) = services.add_services(session, [make_new_service(slug)], now=T0)
        services.set_capacity(session, service.id, config or make_vm_config(), actor="seed", now=T0)
    return service.id


def make_rec(service_id: int | None, current: CapacityConfig, **changes: Any) -> Recommendation:
    """A service recommendation from `current` to `current` with `changes` (2 replicas)."""
    proposed = replace(current, **(changes or {"replicas": 2}))
    return Recommendation(
        kind="rightsize",
        outcome="recommend",
        reason="cheapest fitting candidate that keeps the SLA",
        service_id=service_id,
        current=current,
        proposed=proposed,
        cost_current=Money(210.24, 210.24),
        cost_proposed=Money(140.16, 140.16),
    )


def make_commitment_rec() -> Recommendation:
    return Recommendation(
        kind="commitment",
        outcome="recommend",
        reason="commit to the steady baseline",
        scope="fleet",
        cost_current=Money(1000.0, 1000.0),
        cost_proposed=Money(1000.0, 700.0),
        rollback_possible=False,
    )


def store(
    sessions: sessionmaker[Session], rec: Recommendation, now: Any = T0
) -> StoredRecommendation:
    """Save one recommendation as a recompute would and return it as pages read it."""
    with sessions.begin() as session:
        save(session, [rec], now=now)
        stored = [s for s in list_recommendations(session) if s.key == rec.key]
    return stored[-1]


def add_open_rec(
    sessions: sessionmaker[Session], slug: str = "checkout-api", **changes: Any
) -> StoredRecommendation:
    """A service with the default config and one open recommendation to change it."""
    service_id = add_service(sessions, slug)
    return store(sessions, make_rec(service_id, make_vm_config(), **changes))


def live(sessions: sessionmaker[Session], service_id: int) -> CapacityConfig:
    with sessions() as session:
        return services.current_config(session, service_id)


def audit_rows(sessions: sessionmaker[Session]) -> list[AuditEventRow]:
    with sessions() as session:
        return list(session.scalars(select(AuditEventRow).order_by(AuditEventRow.id)))


def denials(sessions: sessionmaker[Session]) -> list[tuple[str, str, str, str, Any]]:
    """The "denied" audit events: (actor, target type, target id, attempted action, detail)."""
    return [
        (row.actor, row.target_type, row.target_id, row.detail["attempted"], row.detail)
        for row in audit_rows(sessions)
        if row.action == DENIED
    ]


def snapshot(sessions: sessionmaker[Session]) -> tuple[Any, ...]:
    """Everything the workflow may write, to prove a refused action wrote nothing (but the
    "denied" event a role refusal records, see `denials`)."""
    with sessions() as session:
        recs = session.execute(
            select(
                RecommendationRow.id, RecommendationRow.status, RecommendationRow.version
            ).order_by(RecommendationRow.id)
        ).all()
        configs = session.execute(
            select(
                CapacityConfigRow.id, CapacityConfigRow.is_current, CapacityConfigRow.replicas
            ).order_by(CapacityConfigRow.id)
        ).all()
        changes = session.execute(
            select(ConfigChangeRow.id, ConfigChangeRow.status).order_by(ConfigChangeRow.id)
        ).all()
        audits = session.scalar(
            select(func.count()).select_from(AuditEventRow).where(AuditEventRow.action != DENIED)
        )
    return (tuple(recs), tuple(configs), tuple(changes), audits)
