"""Operators' "Run now": the sidecar claims queued requests each minute and runs those jobs."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from data.repos.job_requests import abandon_stale_claims, claim_pending, finish_request
from jobs.context import JobContext
from jobs.definitions import Job
from jobs.runner import RunResult, run_job

log = logging.getLogger(__name__)

POLL_SECONDS = 60
# A claimed request unfinished after this long lost its sidecar (no run lasts hours: a 10,000
# service recompute takes seconds); it is closed as failed so "Run now" works again.
CLAIM_TIMEOUT = timedelta(hours=2)


def run_requested(ctx: JobContext, jobs: Sequence[Job]) -> list[RunResult]:
    """Claim every pending request (a second sidecar cannot claim the same one) and run its
    job now, through the same runner, lock and ledger as the schedule; unknown job names are
    finished as failed, and claims older than CLAIM_TIMEOUT (their sidecar died) are closed
    as failed first. Returns what each run did."""
    by_name = {job.name: job for job in jobs}
    now = ctx.clock()
    with ctx.sessions.begin() as session:
        abandoned = abandon_stale_claims(session, now=now, claimed_before=now - CLAIM_TIMEOUT)
        requests = claim_pending(session, now=now)
    if abandoned:
        log.warning("closed %d run-now requests whose sidecar stopped mid-run", abandoned)
    results = []
    for request in requests:
        job = by_name.get(request.job)
        result = run_job(ctx, job, now=True) if job else RunResult(request.job, "failed")
        ok = result.status in ("success", "up_to_date", "locked")  # "partial" missed some
        with ctx.sessions.begin() as session:
            finish_request(session, request.id, ok=ok, now=ctx.clock())
        log.info("run-now request %d (%s by %s): %s", request.id, request.job,
                 request.requested_by, result.status)  # fmt: skip
        results.append(result)
    return results
