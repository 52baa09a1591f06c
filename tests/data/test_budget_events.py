"""Budget create, update and delete each write one webhook event with the change, or none when
the change is refused or rolls back (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from data import outbox
from data.errors import Conflict, Forbidden
from data.repos import budgets
from data.repos.audit import record_event
from data.webhooks.payloads import Event, headline, slack_body
from tests.data.guard_world import DiskFull, failing_after
from tests.data.test_budgets_repo import NOW, _desk, _draft, _fleet
from tests.data.test_outbox import events

LATER = NOW + timedelta(hours=1)


def test_create_update_delete_each_announce_one_event(sessions: sessionmaker[Session]) -> None:
    _fleet(sessions)
    desk = _desk(sessions)
    made = desk.create("boss", _draft(), now=NOW)
    edited = desk.update("boss", made.id, expected_version=made.version,
                         amount=Decimal("450.50"), now=LATER)  # fmt: skip
    desk.delete("boss", made.id, expected_version=edited.version, now=LATER + timedelta(hours=1))

    kinds = [kind for kind, _ in events(sessions)]
    created, updated, deleted = (data for _, data in events(sessions))
    assert kinds == [outbox.BUDGET_CREATED, outbox.BUDGET_UPDATED, outbox.BUDGET_DELETED]
    assert created == {
        "budget_id": made.id, "scope_type": "team", "scope_key": "payments",
        "month": "2026-11-01", "amount": 400.0, "previous_amount": None, "currency": "USD",
        "version": 1, "actor": "boss",
    }  # fmt: skip
    assert (updated["amount"], updated["previous_amount"], updated["version"]) == (450.5, 400, 2)
    assert (deleted["amount"], deleted["version"], deleted["actor"]) == (450.5, 2, "boss")


def test_a_budget_recreated_under_a_reused_id_is_announced_again(
    sessions: sessionmaker[Session],
) -> None:
    _fleet(sessions)
    desk = _desk(sessions)
    first = desk.create("boss", _draft(), now=NOW)
    desk.delete("boss", first.id, expected_version=first.version, now=LATER)
    desk.create("boss", _draft(), now=LATER + timedelta(minutes=1))

    kinds = [kind for kind, _ in events(sessions)]
    assert kinds == [outbox.BUDGET_CREATED, outbox.BUDGET_DELETED, outbox.BUDGET_CREATED]


def test_refused_and_stale_edits_announce_nothing(sessions: sessionmaker[Session]) -> None:
    _fleet(sessions)
    made = _desk(sessions).create("boss", _draft(), now=NOW)

    with pytest.raises(Forbidden):
        _desk(sessions).create("ana", _draft(scope_key="search"), now=NOW)
    with pytest.raises(Conflict):
        _desk(sessions).update("boss", made.id, expected_version=made.version + 1,
                               amount=Decimal("1"), now=LATER)  # fmt: skip
    with pytest.raises(Conflict):
        _desk(sessions).delete("boss", made.id, expected_version=made.version + 1, now=LATER)

    assert [kind for kind, _ in events(sessions)] == [outbox.BUDGET_CREATED]


def test_a_failed_audit_write_takes_the_event_with_the_budget(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    _fleet(sessions)
    monkeypatch.setattr(budgets, "record_event", failing_after(record_event))

    with pytest.raises(DiskFull):
        _desk(sessions).create("boss", _draft(), now=NOW)

    assert events(sessions) == []


def test_the_slack_message_names_the_budget_the_change_and_who_made_it() -> None:
    data = {
        "scope_type": "team", "scope_key": "pay <!channel>", "month": "2026-11-01",
        "amount": 450.5, "previous_amount": 400.0, "currency": "USD", "actor": "boss",
    }  # fmt: skip
    event = Event(7, outbox.BUDGET_UPDATED, NOW, data)

    assert headline(event) == ("Budget team pay <!channel> (2026-11-01) updated by boss: 450.5 USD")
    body = slack_body(event).decode()
    assert "pay &lt;!channel&gt;" in body
    assert "<!channel>" not in body
    assert "*previous_amount*: 400.0" in body
