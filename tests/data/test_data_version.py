"""The data version changes with every kind of write the pages show, and only with a write."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from data.guard import Attempt, Guard
from data.models import JobRequestRow
from data.repos.audit import record_event
from data.repos.data_version import DataVersion, data_version
from data.repos.job_runs import finish_run, start_run
from tests.data.guard_world import POLICY
from tests.factories import T0

NOW = T0 + timedelta(days=1)
ATTEMPT = Attempt("job_run_now", "analyst", ("job_request", 0), detail={"job": "recompute"})


def _version(sessions: sessionmaker[Session]) -> DataVersion:
    with sessions() as session:
        return data_version(session)


def _queue_run_now(session: Session) -> None:
    row = JobRequestRow(job="recompute", requested_by="ana", requested_at=NOW, status="pending")
    session.add(row)
    session.flush()
    record_event(
        session, actor="ana", action="job_run_now", target=("job_request", row.id), before=None,
        after={"status": "pending"}, detail={}, now=NOW,
    )  # fmt: skip


def _start(sessions: sessionmaker[Session], job: str) -> int:
    return start_run(sessions, job, window_start=T0, window_end=NOW, now=NOW)


def test_reads_alone_leave_the_version_as_it_was(sessions: sessionmaker[Session]) -> None:
    first = _version(sessions)

    second = _version(sessions)

    assert second == first


def test_a_guarded_write_changes_the_version(sessions: sessionmaker[Session]) -> None:
    before = _version(sessions)

    Guard(sessions, POLICY).run("ana", ATTEMPT, now=NOW, change=_queue_run_now)

    assert _version(sessions) != before


def test_a_job_run_changes_the_version_when_it_starts_and_when_it_ends(
    sessions: sessionmaker[Session],
) -> None:
    before = _version(sessions)

    run_id = _start(sessions, "recompute")
    running = _version(sessions)
    finish_run(sessions, run_id, finished_at=NOW, duration_s=1.0, rows=3)

    assert len({before, running, _version(sessions)}) == 3


def test_an_older_run_ending_after_a_newer_one_still_changes_the_version(
    sessions: sessionmaker[Session],
) -> None:
    # A long recompute (older id) ends after a short collect (newer id) began and ended: the
    # newest id is unchanged by that end, the running count is not.
    slow = _start(sessions, "recompute")
    quick = _start(sessions, "collect")
    finish_run(sessions, quick, finished_at=NOW, duration_s=1.0)
    before = _version(sessions)

    finish_run(sessions, slow, finished_at=NOW, duration_s=9.0)

    assert _version(sessions) != before
