"""Which services to collect: active catalog entries whose telemetry mapping parses."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.connectors.prometheus.mapping import (
    TelemetryMapping,
    TelemetryTarget,
    WorkloadMapping,
    is_workload,
)
from data.errors import InvalidSelector
from data.models import ServiceRow


@dataclass(frozen=True, slots=True)
class ServiceIssue:
    """Why one service got no (new) usage in a run; `kind` says whether data is stale."""

    service_id: int
    slug: str
    kind: str  # invalid_mapping | no_data | failed | partial | skipped | unsupported
    reason: str


def load_targets(session: Session) -> tuple[list[TelemetryTarget], list[ServiceIssue]]:
    """Active services with a parseable mapping, plus one issue per service without one."""
    rows = session.execute(
        select(ServiceRow.id, ServiceRow.slug, ServiceRow.telemetry_selector)
        .where(ServiceRow.active)
        .order_by(ServiceRow.id)
    ).all()
    targets, issues = [], []
    for service_id, slug, raw in rows:
        try:
            if is_workload(raw):
                issues.append(_workload_issue(service_id, slug, WorkloadMapping.parse(raw)))
                continue
            targets.append(TelemetryTarget(service_id, slug, TelemetryMapping.parse(raw or {})))
        except InvalidSelector as error:
            issues.append(ServiceIssue(service_id, slug, "invalid_mapping", str(error)))
    return targets, issues


def _workload_issue(service_id: int, slug: str, mapping: WorkloadMapping) -> ServiceIssue:
    # Not stale (collect.py's _STALE_KINDS): nothing was missed here; another job collects it,
    # and the collect job must not fail every run once a cluster is discovered.
    reason = (
        f"{mapping.describe()}: its usage comes through the owner-chain join, collected by "
        "the collect_workload_stats job (python -m data kube-stats), not here"
    )
    return ServiceIssue(service_id, slug, "unsupported", reason)
