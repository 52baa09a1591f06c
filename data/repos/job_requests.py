"""The "Run now" queue: the dashboard enqueues a job, a sidecar claims it, runs it and finishes it.

    dashboard                       sidecar (each minute)
    request_run ──► pending ──► claim_pending ──► claimed ──► finish_request ──► done | failed

One pending request per job: a second click (or a second analyst) while one waits gets the same
id back. Claiming is atomic: two sidecars never claim the same request.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from data.errors import InvalidInput, InvalidTransition, NotFound
from data.models import JobRequestRow

PENDING = "pending"
CLAIMED = "claimed"
DONE = "done"
FAILED = "failed"
JOB_NAME_MAX = 60
ACTOR_MAX = 120
# Claims are stamped by the claiming sidecar's clock, which a fixed test clock may put ahead.
_ANY_CLAIM = timedelta(days=365_000)


@dataclass(frozen=True, slots=True)
class JobRequest:
    """One operator request to run a job now, and where it is in the queue."""

    id: int
    job: str
    requested_by: str
    requested_at: datetime
    claimed_at: datetime | None
    finished_at: datetime | None
    status: str


@dataclass(frozen=True, slots=True)
class Queued:
    """A Run-now request: the new one (`waiting` None) or the one already pending for the job."""

    request_id: int
    waiting: JobRequest | None


def request_run(session: Session, job: str, *, actor: str, now: datetime) -> int:
    """Queue `job` to run now and return the request's id (see `queue_run`)."""
    return queue_run(session, job, actor=actor, now=now).request_id


def queue_run(session: Session, job: str, *, actor: str, now: datetime) -> Queued:
    """Queue `job` to run now; when the job already has a pending request, return that one as
    `waiting` instead (never a duplicate). Enqueue only: the sidecar runs it.
    """
    job, actor = _checked(job, JOB_NAME_MAX, "job"), _checked(actor, ACTOR_MAX, "actor")
    _serialise_requests(session, job)
    existing = session.execute(
        select(*_COLUMNS)
        .where(JobRequestRow.job == job, JobRequestRow.status == PENDING)
        .order_by(JobRequestRow.id)
        .limit(1)
    ).first()
    if existing is not None:
        waiting = JobRequest(*existing)
        return Queued(waiting.id, waiting)
    row = JobRequestRow(job=job, requested_by=actor, requested_at=now, status=PENDING)
    session.add(row)
    session.flush()
    return Queued(row.id, None)


def claim_pending(session: Session, *, now: datetime) -> list[JobRequest]:
    """Mark every pending request claimed and return them, oldest first.

    One UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) … RETURNING: on PostgreSQL a
    second sidecar claiming at the same moment skips the rows this one holds instead of waiting
    for (and then re-claiming) them; SQLite has one writer at a time, and the outer status guard
    means a row already claimed is never returned twice.
    """
    waiting = (
        select(JobRequestRow.id)
        .where(JobRequestRow.status == PENDING)
        .order_by(JobRequestRow.id)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(JobRequestRow)
        .where(JobRequestRow.id.in_(waiting.scalar_subquery()), JobRequestRow.status == PENDING)
        .values(status=CLAIMED, claimed_at=now)
        .returning(*_COLUMNS)
        .execution_options(synchronize_session=False)
    )
    claimed = [JobRequest(*row) for row in session.execute(statement)]
    return sorted(claimed, key=lambda request: request.id)


def finish_request(session: Session, request_id: int, *, ok: bool, now: datetime) -> None:
    """Close a claimed request as done (`ok`) or failed."""
    row = session.get(JobRequestRow, request_id)
    if row is None:
        raise NotFound(f"job request {request_id} does not exist")
    if row.status != CLAIMED:
        raise InvalidTransition(f"job request {request_id} is {row.status}, not claimed")
    row.status = DONE if ok else FAILED
    row.finished_at = now


def abandon_stale_claims(session: Session, *, now: datetime, claimed_before: datetime) -> int:
    """Close as failed every request claimed before `claimed_before` and never finished — its
    sidecar died mid-run — so the job can be queued again; returns how many. (Not re-queued:
    a job that kills its sidecar would otherwise be retried forever.)"""
    result = session.execute(
        update(JobRequestRow)
        .where(JobRequestRow.status == CLAIMED, JobRequestRow.claimed_at < claimed_before)
        .values(status=FAILED, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def abandon_claims(session: Session, *, now: datetime) -> int:
    """Close as failed every claimed, unfinished request; returns how many. Only a sidecar
    starting under the one-sidecar-per-database lock calls it: no live sidecar holds a claim
    then, so each one was left by a sidecar that died mid-run."""
    return abandon_stale_claims(session, now=now, claimed_before=now + _ANY_CLAIM)


def pending_requests(session: Session) -> list[JobRequest]:
    """Every request no sidecar has claimed yet, oldest first."""
    query = select(*_COLUMNS).where(JobRequestRow.status == PENDING).order_by(JobRequestRow.id)
    return [JobRequest(*row) for row in session.execute(query)]


_COLUMNS = (
    JobRequestRow.id,
    JobRequestRow.job,
    JobRequestRow.requested_by,
    JobRequestRow.requested_at,
    JobRequestRow.claimed_at,
    JobRequestRow.finished_at,
    JobRequestRow.status,
)


def _checked(value: str, limit: int, what: str) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise InvalidInput(f"{what} must be 1–{limit} characters, got {len(value)}")
    return value


def _serialise_requests(session: Session, job: str) -> None:
    """Hold the job's request slot for the rest of the transaction, so two concurrent clicks
    cannot both see "nothing pending" and insert two requests.

    PostgreSQL: a transaction-scoped advisory lock per job (its own key space: the sidecar's
    run lock on the same job must not block a click). SQLite: a write statement (matching no
    row) takes the database's single write lock before the read.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_request_lock_key(job))))
        return
    session.execute(
        update(JobRequestRow)
        .where(JobRequestRow.id == -1)
        .values(status=JobRequestRow.status)
        .execution_options(synchronize_session=False)
    )


def _request_lock_key(job: str) -> int:
    digest = hashlib.sha256(f"tightrope.job_request.{job}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
