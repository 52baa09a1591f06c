"""Sidecar start-up: close what a sidecar killed mid-run left open (runs and Run-now claims)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from data.repos.job_requests import abandon_claims
from data.repos.job_runs import close_orphaned_runs, running_jobs
from jobs.context import JobContext
from jobs.locks import exclusive

log = logging.getLogger(__name__)

ORPHAN_REASON = "abandoned: the sidecar stopped before this run finished (closed at its restart)"


@dataclass(frozen=True, slots=True)
class Orphans:
    """What one start-up closed."""

    runs: int
    requests: int


def close_orphans(ctx: JobContext) -> Orphans:
    """Close every run still "running" whose job lock is free (a live `python -m jobs once`
    holds its job's lock, so its run is left alone) and every claimed Run-now request.

    Call only while holding the sidecar lock: then no other sidecar holds a claim."""
    now = ctx.clock()
    runs = 0
    with ctx.sessions() as session:
        jobs = running_jobs(session)
    for job in jobs:
        with exclusive(ctx.engine, job) as mine:
            if not mine:
                continue
            with ctx.sessions.begin() as session:
                runs += close_orphaned_runs(session, job, now=now, reason=ORPHAN_REASON)
    with ctx.sessions.begin() as session:
        requests = abandon_claims(session, now=now)
    if runs or requests:
        log.warning("closed %d abandoned runs and %d claimed run-now requests", runs, requests)
    return Orphans(runs, requests)
