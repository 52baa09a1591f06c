"""What goes on the wire: the generic JSON envelope (signed) or a Slack message, and headers.

Signature (Stripe's scheme): `X-Tightrope-Signature: t=<unix seconds>,v1=<hex>` where
v1 = HMAC-SHA256(secret, f"{t}.{body}"); receivers verify it and reject old timestamps
(docs/webhooks.md has the verification code). The event id is in `X-Tightrope-Event-Id`:
delivery is at least once, so receivers dedupe on it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from data.webhooks.endpoints import Endpoint

SIGNATURE_HEADER = "X-Tightrope-Signature"
EVENT_ID_HEADER = "X-Tightrope-Event-Id"
EVENT_KIND_HEADER = "X-Tightrope-Event-Kind"
USER_AGENT = "Tightrope-Webhooks/1"


@dataclass(frozen=True, slots=True)
class Event:
    """An outbox event as delivered: its id is the receivers' dedupe key."""

    id: int
    kind: str
    occurred_at: datetime
    data: Mapping[str, Any]


def request_for(event: Event, endpoint: Endpoint, *, now: datetime) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one attempt (`now` is the signature's timestamp)."""
    body = slack_body(event) if endpoint.format == "slack" else json_body(event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_ID_HEADER: str(event.id),
        EVENT_KIND_HEADER: event.kind,
    }
    if endpoint.secret is not None:
        timestamp = int(now.timestamp())
        digest = sign(endpoint.secret.get_secret_value(), timestamp, body)
        headers[SIGNATURE_HEADER] = f"t={timestamp},v1={digest}"
    return body, headers


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def json_body(event: Event) -> bytes:
    envelope = {
        "id": str(event.id),
        "kind": event.kind,
        "occurred_at": event.occurred_at.isoformat(),
        "data": dict(event.data),
    }
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


def slack_body(event: Event) -> bytes:
    """`text` (the notification's fallback) and one mrkdwn section block, escaped."""
    text = slack_escape(headline(event))
    detail = "\n".join(f"*{slack_escape(k)}*: {slack_escape(v)}" for k, v in _facts(event))
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if detail:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": detail}})
    return json.dumps({"text": text, "blocks": blocks}, separators=(",", ":")).encode()


def slack_escape(text: str) -> str:
    """Slack's control characters in mrkdwn: & < > (names come from users: `<!channel>` or a
    `<https://…|link>` in a service name must stay text)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def headline(event: Event) -> str:
    data = event.data
    subject = data.get("service") or data.get("scope_key") or data.get("scope") or "fleet"
    if event.kind == "budget.state_changed":
        return (
            f"Budget {data.get('scope_type')} {subject} ({data.get('month')}): "
            f"{data.get('previous_state') or 'new'} → {data.get('state')}"
        )
    if event.kind in ("budget.created", "budget.updated", "budget.deleted"):
        verb = event.kind.removeprefix("budget.")
        return (
            f"Budget {data.get('scope_type')} {subject} ({data.get('month')}) {verb} by "
            f"{data.get('actor')}: {data.get('amount')} {data.get('currency')}"
        )
    if event.kind == "anomaly.detected":
        return f"Cost anomaly on {subject} ({data.get('charge_date')}, {data.get('direction')})"
    what = event.kind.removeprefix("recommendation.").replace("_", " ")
    savings = data.get("monthly_savings_usd")
    tail = f", ${savings:,.2f}/month" if isinstance(savings, int | float) else ""
    return f"Recommendation {what}: {data.get('kind', '')} on {subject}{tail}".replace("  ", " ")


_FACTS = (
    "recommendation_id", "change_id", "actor", "status", "state", "month_to_date_cost",
    "forecast_cost", "amount", "previous_amount", "currency", "effective_cost", "baseline_cost",
)  # fmt: skip


def _facts(event: Event) -> list[tuple[str, str]]:
    return [(key, str(event.data[key])) for key in _FACTS if event.data.get(key) is not None]
