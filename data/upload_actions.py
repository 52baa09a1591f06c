"""FOCUS uploads from the dashboard: the role check, then the load and its audit event together."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from data.clock import utc
from data.connectors.focus import AllocationRules, IngestLimits, IngestReport, PlannedDelivery
from data.connectors.focus.ingest import ingest_delivery
from data.guard import NO_ID, Attempt, Guard
from data.repos.audit import record_event
from data.settings import Role
from data.workflow import WorkflowPolicy

# Billing data is what every figure is computed from; FinOps analysts own loading it (the CLI
# and the billing API are system routes and stay unguarded, decision 013).
INGEST: Role = "analyst"
REJECTED = "billing_ingest_rejected"


class UploadDesk:
    """`UploadDesk(sessions, policy).ingest(actor, planned, ...)`; Forbidden (after a "denied"
    audit event) or any FocusIngestError, both DataErrors."""

    def __init__(self, sessions: sessionmaker[Session], policy: WorkflowPolicy) -> None:
        self._sessions = sessions
        self._guard = Guard(sessions, policy)

    def ingest(
        self,
        actor: str,
        planned: PlannedDelivery,
        *,
        source: str,
        rules: AllocationRules,
        limits: IngestLimits,
        now: datetime,
    ) -> IngestReport:
        """Load the delivery whole (see `ingest_delivery`); a load writes its audit event in its
        own transaction, a rejection in the one that records the rejected delivery (the trail
        shows who tried), a no-op (already ingested) or a held delivery writes nothing."""
        attempt = Attempt(
            "billing_ingest", INGEST, ("ingested_file", NO_ID), doing="ingesting billing data",
            detail={"delivery": planned.name, "source": source},
        )  # fmt: skip
        # The connector owns the load's transaction (it stages outside it): the guard checks
        # the role here and the event joins that transaction through `on_load`.
        self._guard.check(actor, attempt, now=now)

        def audit(session: Session, report: IngestReport) -> None:
            record_event(
                session, actor=actor, action="billing_ingest",
                target=("ingested_file", report.ingested_file_id), before=None,
                after={"status": report.status, "rows_read": report.rows_read,
                       "cost_rows": report.cost_rows,
                       "replaced_file_ids": list(report.replaced_file_ids)},
                detail={"file_name": report.file_name, "source": source,
                        "content_sha256": report.content_sha256},
                now=utc(now),
            )  # fmt: skip

        def audit_rejection(session: Session, delivery_id: int, why: str) -> None:
            record_event(
                session, actor=actor, action=REJECTED, target=("ingested_file", delivery_id),
                before=None, after={"status": "rejected"},
                detail={"file_name": planned.name, "source": source, "error": why[:500]},
                now=utc(now),
            )  # fmt: skip

        return ingest_delivery(
            self._sessions, planned, source=source, rules=rules, now=utc(now), limits=limits,
            on_load=audit, on_reject=audit_rejection,
        )  # fmt: skip
