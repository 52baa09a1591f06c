"""JobDesk (Run now) on SQLite and PostgreSQL: role, audit event, one transaction, no duplicates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from data import job_actions
from data.errors import Forbidden
from data.job_actions import JobDesk
from data.models import JobRequestRow
from data.repos.audit import record_event
from tests.data.guard_world import POLICY, DiskFull, count, events, failing_after
from tests.factories import T0

NOW = T0 + timedelta(days=1)


def test_an_analyst_queues_a_run_with_its_audit_event(sessions: sessionmaker[Session]) -> None:
    queued = JobDesk(sessions, POLICY).run_now("ana", "recompute", now=NOW)

    assert queued.waiting is None
    assert events(sessions) == [
        ("ana", "job_run_now", "job_request", str(queued.request_id), {"job": "recompute"})
    ]


def test_a_second_click_returns_the_pending_request_and_records_nothing(
    sessions: sessionmaker[Session],
) -> None:
    first = JobDesk(sessions, POLICY).run_now("ana", "recompute", now=NOW)

    again = JobDesk(sessions, POLICY).run_now("apu", "recompute", now=NOW)

    assert again.request_id == first.request_id
    assert again.waiting is not None
    assert again.waiting.requested_by == "ana"
    assert (count(sessions, JobRequestRow), len(events(sessions))) == (1, 1)


def test_a_viewer_cannot_queue_a_run_and_the_attempt_is_audited(
    sessions: sessionmaker[Session],
) -> None:
    with pytest.raises(Forbidden, match="vera is a viewer: running a job now needs the analyst"):
        JobDesk(sessions, POLICY).run_now("vera", "recompute", now=NOW)

    assert count(sessions, JobRequestRow) == 0
    ((actor, action, target, target_id, detail),) = events(sessions)
    assert (actor, action, target, target_id) == ("vera", "denied", "job_request", "0")
    assert (detail["attempted"], detail["job"]) == ("job_run_now", "recompute")


def test_a_failed_audit_write_queues_nothing(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(job_actions, "record_event", failing_after(record_event))

    with pytest.raises(DiskFull):
        JobDesk(sessions, POLICY).run_now("ana", "recompute", now=NOW)

    assert count(sessions, JobRequestRow) == 0
    assert events(sessions) == []
