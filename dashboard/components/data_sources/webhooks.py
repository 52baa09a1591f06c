"""Webhook deliveries: the outbox's recent deliveries per endpoint, and Retry now for dead ones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from dashboard import actions, deps
from dashboard.components import formats, tables
from dashboard.components.data_sources.common import ago, when
from dashboard.queries import data_sources as data_sources_queries
from data.errors import DataError
from data.repos.webhook_deliveries import DeliveryView
from data.settings import Settings
from data.webhook_actions import RETRY_WEBHOOK, WebhookDesk
from data.webhooks.endpoints import load_endpoints

STATUS_LABELS = {
    "pending": "pending",
    "failed": "failed, will retry",
    "delivered": "delivered",
    "dead": "dead (gave up)",
}
_FEEDBACK = "ds_webhook_feedback"
_COLUMNS = {
    "created": st.column_config.TextColumn("Created"),
    "endpoint": st.column_config.TextColumn("Endpoint", help="Its name, then its URL without "
                                            "credentials, query or path tokens."),
    "event": st.column_config.TextColumn("Event"),
    "status": st.column_config.TextColumn("Status"),
    "attempts": st.column_config.NumberColumn("Attempts"),
    "response": st.column_config.TextColumn("Response"),
    "next_attempt": st.column_config.TextColumn("Next attempt"),
    "last_error": st.column_config.TextColumn("Last error", width="large"),
}  # fmt: skip


def deliveries_frame(deliveries: Sequence[DeliveryView], *, now: datetime) -> pd.DataFrame:
    """One row per delivery, newest first, every value in words (a dataframe shows text as
    text: nothing in it is rendered as markdown)."""
    rows = [
        {
            "created": when(d.created_at),
            "endpoint": f"{d.endpoint} · {d.url}",
            "event": f"#{d.event_id} {d.kind}",
            "status": STATUS_LABELS.get(d.status, d.status),
            "attempts": d.attempts,
            "response": str(d.response_code) if d.response_code is not None else "—",
            "next_attempt": _next_attempt(d, now=now),
            "last_error": d.last_error or "—",
        }
        for d in deliveries
    ]
    return pd.DataFrame(rows, columns=list(_COLUMNS))


def _next_attempt(delivery: DeliveryView, *, now: datetime) -> str:
    if delivery.status not in ("pending", "failed"):
        return "—"
    if delivery.next_attempt_at <= now:
        return "due now"
    return f"{when(delivery.next_attempt_at)} (in {ago(now, now=delivery.next_attempt_at)})"


def show_webhooks(sessions: sessionmaker[Session], settings: Settings, *, now: datetime) -> None:
    """The section: what is configured, the delivery log, Retry now for dead deliveries."""
    st.subheader("Webhook deliveries", anchor=False)
    st.caption(_configured(settings))
    deliveries = data_sources_queries.deliveries(sessions, now.replace(second=0, microsecond=0))
    if not deliveries:
        st.info("No webhook delivery yet.", icon=":material/outbox:")
    else:
        frame = deliveries_frame(deliveries, now=now)
        tables.grid(frame, column_config=_COLUMNS, hide_index=True, key="ds_webhooks")
    dead = [d for d in deliveries if d.status == "dead"]
    if dead:
        _retry(sessions, dead)
    _show_feedback()


def _configured(settings: Settings) -> str:
    try:
        endpoints = load_endpoints(settings)
    except DataError as error:
        return formats.escape_markdown(f"Webhook configuration refused: {error}")
    if not endpoints:
        return (
            "No webhook endpoint configured: set `TIGHTROPE_WEBHOOK_URLS` or "
            "`TIGHTROPE_WEBHOOK_CONFIG_FILE` (docs/webhooks.md)."
        )
    names = ", ".join(formats.escape_markdown(e.name) for e in endpoints)
    return (
        f"{len(endpoints)} endpoint(s): {names}. The sidecar sends each event at least once, "
        "retrying with backoff; receivers dedupe on `X-Tightrope-Event-Id`."
    )


def _retry(sessions: sessionmaker[Session], dead: Sequence[DeliveryView]) -> None:
    refusal = actions.refusal(RETRY_WEBHOOK, "retrying a webhook delivery")
    with st.container(horizontal=True, vertical_alignment="bottom"):
        chosen = st.selectbox(
            "Dead delivery",
            [d.id for d in dead],
            format_func=lambda i: _choice(dead, i),
            key="ds_webhook_dead",
        )
        st.button(
            "Retry now",
            key="ds_webhook_retry",
            icon=":material/replay:",
            help=refusal or "Queue it again with a fresh attempt budget (audited).",
            disabled=refusal is not None or chosen is None,
            on_click=_request,
            args=(sessions, chosen),
        )


def _choice(dead: Sequence[DeliveryView], delivery_id: int) -> str:
    found = next(d for d in dead if d.id == delivery_id)
    return f"#{found.id}: {found.kind} to {found.endpoint}"


def _request(sessions: sessionmaker[Session], delivery_id: int | None) -> None:
    if delivery_id is None:
        return
    try:
        WebhookDesk(sessions, actions.policy()).retry(actions.actor(), delivery_id, now=deps.now())
    except DataError as error:
        st.session_state[_FEEDBACK] = ("warning", actions.refused(error).message)
        return
    finally:
        data_sources_queries.clear()
    message = f"Delivery #{delivery_id} queued again: the sidecar sends it on its next round."
    st.session_state[_FEEDBACK] = ("success", message)


def _show_feedback() -> None:
    feedback: tuple[str, str] | None = st.session_state.pop(_FEEDBACK, None)
    if feedback is None:
        return
    kind, message = feedback
    text = formats.escape_markdown(message)
    if kind == "success":
        st.success(text, icon=":material/replay:")
    else:
        st.warning(text, icon=":material/warning:")
