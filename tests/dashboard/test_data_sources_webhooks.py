"""The Data sources page's webhook section with AppTest: the delivery log, no credential on the
page, stored text shown as text, and Retry now for dead deliveries (admin only, audited)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from data.models import AuditEventRow, WebhookDeliveryRow
from data.outbox import ANOMALY_DETECTED, BUDGET_STATE_CHANGED, enqueue
from data.webhooks.delivery import fan_out
from data.webhooks.endpoints import Endpoint
from tests.dashboard.conftest import NOW, open_page, sessions_on

PAGE = "app_pages/data_sources.py"
URL = "https://hook-user:hook-password@hooks.example.com/in/T0/SECRETPATH?token=querysecret"
HOSTILE = "**bold** <script>alert(1)</script> [x](javascript:alert(1))"


@pytest.fixture
def db(empty_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[sessionmaker[Session]]:
    monkeypatch.setenv("TIGHTROPE_WEBHOOK_URLS", URL)
    yield from sessions_on(empty_database)


def _deliveries(db: sessionmaker[Session]) -> dict[str, int]:
    """Two events to the configured endpoint: one delivered, one dead with a hostile error."""
    endpoint = Endpoint("ops", URL, "json")
    with db.begin() as session:
        enqueue(session, ANOMALY_DETECTED, {"n": 1}, dedupe_key="a", now=NOW)
        enqueue(session, BUDGET_STATE_CHANGED, {"n": 2}, dedupe_key="b", now=NOW)
        fan_out(session, [endpoint], now=NOW)
    with db.begin() as session:
        rows = {r.event_id: r for r in session.scalars(select(WebhookDeliveryRow))}
        delivered, dead = rows[1], rows[2]
        delivered.status, delivered.attempts, delivered.response_code = "delivered", 1, 200
        dead.status, dead.attempts, dead.last_error = "dead", 10, HOSTILE
        return {"delivered": delivered.id, "dead": dead.id}


def _table(at: AppTest) -> pd.DataFrame:
    found: pd.DataFrame = next(d.value for d in at.dataframe if "next_attempt" in d.value.columns)
    return found


def _shown(at: AppTest, kind: str) -> str:
    r"""Shown text without the markdown escapes (`\#2` reads as #2)."""
    return "\n".join(str(e.value) for e in getattr(at, kind)).replace("\\", "")


def _page_text(at: AppTest) -> str:
    parts = [str(e.value) for kind in ("markdown", "caption", "info", "warning", "success")
             for e in getattr(at, kind)]  # fmt: skip
    return "\n".join(parts) + _table(at).to_csv()


def test_the_log_lists_deliveries_without_any_credential(db: sessionmaker[Session]) -> None:
    _deliveries(db)

    at = open_page(PAGE)

    table = _table(at)
    assert list(table["status"]) == ["dead (gave up)", "delivered"]
    assert list(table["event"]) == ["#2 budget.state_changed", "#1 anomaly.detected"]
    assert table["endpoint"].iloc[0] == "ops · https://hooks.example.com/in/…"
    assert table["last_error"].iloc[0] == HOSTILE  # a dataframe cell: text, never markdown
    text = _page_text(at)
    for secret in ("hook-password", "hook-user", "SECRETPATH", "querysecret"):
        assert secret not in text
    assert "1 endpoint(s)" in text


def test_retry_now_queues_a_dead_delivery_again_and_audits_it(db: sessionmaker[Session]) -> None:
    ids = _deliveries(db)
    at = open_page(PAGE)

    at.button(key="ds_webhook_retry").click().run()

    assert not at.exception, [e.message for e in at.exception]
    assert f"Delivery #{ids['dead']} queued again" in _shown(at, "success")
    with db() as session:
        row = session.get(WebhookDeliveryRow, ids["dead"])
        assert row is not None
        assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, NOW)
        (event,) = session.scalars(
            select(AuditEventRow).where(AuditEventRow.action == "webhook_retry")
        )
        assert (event.target_type, event.target_id) == ("webhook_delivery", str(ids["dead"]))


def test_a_viewer_cannot_retry(db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    _deliveries(db)
    monkeypatch.setenv("TIGHTROPE_LOCAL_ACTOR", "vic")
    monkeypatch.setenv("TIGHTROPE_ROLES", '{"vic": "viewer"}')

    at = open_page(PAGE)

    button = at.button(key="ds_webhook_retry")
    assert button.disabled
    assert "needs the admin role" in (button.help or "")


def test_without_endpoints_the_section_says_how_to_configure_them(
    empty_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TIGHTROPE_WEBHOOK_URLS", raising=False)

    at = open_page(PAGE)

    captions = "\n".join(c.value for c in at.caption)
    assert "No webhook endpoint configured" in captions
    assert "No webhook delivery yet." in "\n".join(i.value for i in at.info)
