"""The guard (data/guard.py) on SQLite and PostgreSQL: role check, denial event, one transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from data.errors import Forbidden
from data.guard import DENIED, Attempt, Guard
from data.models import JobRequestRow
from data.repos.audit import record_event
from tests.data.guard_world import POLICY, DiskFull, count, events
from tests.factories import T0

NOW = T0 + timedelta(days=1)
ATTEMPT = Attempt("job_run_now", "analyst", ("job_request", 0), detail={"job": "recompute"})


def _queue(session: Session, actor: str) -> int:
    row = JobRequestRow(job="recompute", requested_by=actor, requested_at=NOW, status="pending")
    session.add(row)
    session.flush()
    record_event(
        session, actor=actor, action="job_run_now", target=("job_request", row.id), before=None,
        after={"status": "pending"}, detail={}, now=NOW,
    )  # fmt: skip
    return row.id


def test_an_allowed_change_commits_with_its_event(sessions: sessionmaker[Session]) -> None:
    request_id = Guard(sessions, POLICY).run(
        "ana", ATTEMPT, now=NOW, change=lambda s: _queue(s, "ana")
    )

    assert count(sessions, JobRequestRow) == 1
    assert events(sessions) == [("ana", "job_run_now", "job_request", str(request_id), {})]


def test_a_refusal_raises_forbidden_and_records_only_a_denial(
    sessions: sessionmaker[Session],
) -> None:
    with pytest.raises(Forbidden, match="vera is a viewer: job_run_now needs the analyst role"):
        Guard(sessions, POLICY).run("vera", ATTEMPT, now=NOW, change=lambda s: _queue(s, "vera"))

    assert count(sessions, JobRequestRow) == 0
    assert events(sessions) == [
        (
            "vera", DENIED, "job_request", "0",
            {"attempted": "job_run_now", "role": "viewer", "needed": "analyst", "job": "recompute"},
        )
    ]  # fmt: skip


def test_a_failure_after_the_change_rolls_back_the_change_and_its_event(
    sessions: sessionmaker[Session],
) -> None:
    def change_then_fail(session: Session) -> int:
        _queue(session, "ana")
        session.flush()  # both rows are in the database, inside the transaction
        raise DiskFull("after the change")

    with pytest.raises(DiskFull):
        Guard(sessions, POLICY).run("ana", ATTEMPT, now=NOW, change=change_then_fail)

    assert count(sessions, JobRequestRow) == 0
    assert events(sessions) == []


def test_a_naive_moment_is_refused_before_anything_is_written(
    sessions: sessionmaker[Session],
) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        Guard(sessions, POLICY).check("vera", ATTEMPT, now=NOW.replace(tzinfo=None))

    assert events(sessions) == []
