"""Valid-by-default billing API pages and a client wired to a local test server, no real sleeps."""

from __future__ import annotations

import json
from typing import Any

from pydantic import SecretStr
from pytest_httpserver import HTTPServer

from data.connectors.billing_api import BillingApiClient, CircuitBreaker, Timeouts
from data.connectors.resilience import RetryPolicy
from tests.connectors.focus.builders import focus_row

KEY = "tr-live-9f8e7d6c5b4a"  # distinctive, so a leak is easy to find in logs and messages
PERIOD = "2026-10"
QUICK_RETRY = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.02, max_elapsed_s=60)


def item(**overrides: Any) -> dict[str, Any]:
    """A FOCUS 1.2 line item as JSON: money as JSON numbers, Tags as an object."""
    row: dict[str, Any] = {k: (v if v != "" else None) for k, v in focus_row().items()}
    row.update(BilledCost=1.5, EffectiveCost=1.5, ListCost=2, ContractedCost=1.6)
    row["Tags"] = json.loads(row["Tags"])
    row.update(overrides)
    return row


def page(items: list[dict[str, Any]], token: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"billing_period": PERIOD, "items": items, "next_page_token": token, **extra}


def query(token: str | None = None, *, page_size: int = 2) -> dict[str, str]:
    params = {"billing_period": PERIOD, "page_size": str(page_size)}
    return params if token is None else {**params, "page_token": token}


class Sleeps(list[float]):
    """Records the backoff pauses instead of taking them."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(
    server: HTTPServer,
    *,
    sleeps: Sleeps | None = None,
    retry: RetryPolicy = QUICK_RETRY,
    fail_max: int = 5,
    read_timeout_s: float = 2.0,
    breaker: CircuitBreaker | None = None,
) -> BillingApiClient:
    return BillingApiClient(
        server.url_for("/"),
        SecretStr(KEY),
        timeouts=Timeouts(connect_s=1.0, read_s=read_timeout_s),
        page_size=2,
        retry=retry,
        breaker=breaker or CircuitBreaker(fail_max=fail_max, reset_timeout_s=60),
        sleep=sleeps if sleeps is not None else Sleeps(),
    )


def requests_made(server: HTTPServer) -> int:
    return len(server.log)
