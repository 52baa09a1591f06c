"""One delivery round: fan out, claim what is due, POST each, record each result."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from sqlalchemy.orm import Session, sessionmaker

from data.webhooks.delivery import (
    DELIVERED,
    Claimed,
    Result,
    RetryPolicy,
    claim_due,
    fan_out,
    record_result,
)
from data.webhooks.endpoints import Endpoint
from data.webhooks.payloads import request_for

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RoundReport:
    """What one round did: deliveries added, attempted, and each attempt's new status."""

    fanned_out: int = 0
    statuses: tuple[str, ...] = field(default=())

    @property
    def delivered(self) -> int:
        return self.statuses.count(DELIVERED)


def deliver_round(
    sessions: sessionmaker[Session],
    endpoints: Sequence[Endpoint],
    policy: RetryPolicy,
    *,
    clock: Callable[[], datetime],
    rng: random.Random | None = None,
) -> RoundReport:
    """Fan new events out, then send every due delivery once (attempts in claim order)."""
    if not endpoints:
        return RoundReport()
    with sessions.begin() as session:
        added = fan_out(session, endpoints, now=clock())
    by_name = {endpoint.name: endpoint for endpoint in endpoints}
    claimed = claim_due(sessions, list(by_name), policy, now=clock())
    statuses = []
    chance = rng or random.Random()
    with httpx.Client(timeout=policy.timeout_s, follow_redirects=False) as client:
        for item in claimed:
            result = send(client, item, by_name[item.endpoint], now=clock())
            status = record_result(sessions, item, result, policy, now=clock(), rng=chance)
            log.info("webhook %s event %d (%s) to %s: attempt %d, %s", item.endpoint,
                     item.event.id, item.event.kind, by_name[item.endpoint].shown_url,
                     item.attempt, status)  # fmt: skip
            statuses.append(status)
    return RoundReport(added, tuple(statuses))


def send(client: httpx.Client, claimed: Claimed, endpoint: Endpoint, *, now: datetime) -> Result:
    """POST one delivery; never raises for the network or the receiver. The error text has the
    URL replaced by its shown form (a Slack URL's path is its credential)."""
    body, headers = request_for(claimed.event, endpoint, now=now)
    try:
        response = client.post(endpoint.url, content=body, headers=headers)
    except httpx.HTTPError as error:
        text = f"{type(error).__name__}: {error}".replace(endpoint.url, endpoint.shown_url)
        return Result(None, text)
    if 200 <= response.status_code < 300:
        return Result(response.status_code)
    return Result(response.status_code, f"HTTP {response.status_code}")
