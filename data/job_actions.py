"""Run now from the dashboard: queue a sidecar job through the guarded write path."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from data.clock import utc
from data.guard import NO_ID, Attempt, Guard
from data.repos import job_requests
from data.repos.audit import record_event
from data.repos.job_requests import Queued
from data.settings import Role
from data.workflow import WorkflowPolicy

# Running a job early changes nothing a scheduled run would not: an analyst may (decision 013).
RUN_NOW: Role = "analyst"


class JobDesk:
    """`JobDesk(sessions, policy).run_now(actor, job, now=...)`; Forbidden (after a "denied"
    audit event) or InvalidInput as a DataError."""

    def __init__(self, sessions: sessionmaker[Session], policy: WorkflowPolicy) -> None:
        self._guard = Guard(sessions, policy)

    def run_now(self, actor: str, job: str, *, now: datetime) -> Queued:
        """Queue `job` once: a request already pending is returned as `waiting`, not repeated."""
        attempt = Attempt(
            "job_run_now", RUN_NOW, ("job_request", NO_ID), doing="running a job now",
            detail={"job": job},
        )  # fmt: skip

        def change(session: Session) -> Queued:
            queued = job_requests.queue_run(session, job, actor=actor, now=utc(now))
            if queued.waiting is None:  # a pending request is not a new change
                record_event(
                    session, actor=actor, action="job_run_now",
                    target=("job_request", queued.request_id), before=None,
                    after={"status": job_requests.PENDING}, detail={"job": job}, now=utc(now),
                )  # fmt: skip
            return queued

        return self._guard.run(actor, attempt, now=now, change=change)
