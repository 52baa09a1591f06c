"""The sidecar's webhook poller: every TIGHTROPE_WEBHOOK_POLL_S, one delivery round."""

from __future__ import annotations

import logging

from data.errors import DataError
from data.webhooks.delivery import RetryPolicy
from data.webhooks.endpoints import load_endpoints
from data.webhooks.sender import RoundReport, deliver_round
from jobs.context import JobContext
from jobs.locks import exclusive

log = logging.getLogger(__name__)
JOB_NAME = "deliver_webhooks"


def deliver_webhooks(ctx: JobContext) -> RoundReport | None:
    """One round under the job's lock (None when another sidecar holds it, or a bad endpoint
    configuration: logged, never raised, the scheduler keeps going). Endpoints are read each
    round, so an edited endpoint file takes effect without a restart."""
    with exclusive(ctx.engine, JOB_NAME) as mine:
        if not mine:
            return None
        try:
            endpoints = load_endpoints(ctx.settings)
        except DataError as error:
            log.error("webhooks not delivered: %s", error)
            return None
        report = deliver_round(
            ctx.sessions, endpoints, RetryPolicy.from_settings(ctx.settings), clock=ctx.clock
        )
    if report.statuses:
        log.info("webhooks: %d attempted, %d delivered", len(report.statuses), report.delivered)
    return report
