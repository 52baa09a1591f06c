"""The sidecar's hand-off poller: every TIGHTROPE_GITOPS_POLL_S, the hand-offs due (023).

The page hands an apply off right after it commits; this round picks up what that left: a
failed push (after TIGHTROPE_GITOPS_RETRY_S), a page that died before pushing, a lease whose
holder crashed. Pushing the same branch again is harmless (data.handoff.gitops).
"""

from __future__ import annotations

import logging

from data.errors import DataError
from data.handoff.runner import HandoffRunner
from jobs.context import JobContext
from jobs.locks import exclusive

log = logging.getLogger(__name__)
JOB_NAME = "hand_off_changes"


def hand_off_changes(ctx: JobContext) -> int | None:
    """One round under the job's lock: how many hand-offs ran (None when another sidecar holds
    the lock, or the round failed: logged, never raised, the scheduler keeps going)."""
    with exclusive(ctx.engine, JOB_NAME) as mine:
        if not mine:
            return None
        try:
            ran = HandoffRunner(ctx.sessions, ctx.settings).hand_off_due(now=ctx.clock())
        except DataError as error:
            log.error("hand-offs not run: %s", error)
            return None
    if ran:
        log.info("hand-offs: %d run", ran)
    return ran
