"""The "Run now" queue on SQLite and PostgreSQL: one pending request per job, claimed once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from data.db import make_sessions
from data.errors import InvalidInput, InvalidTransition, NotFound
from data.models import JobRequestRow
from data.repos.job_requests import (
    JobRequest,
    claim_pending,
    finish_request,
    pending_requests,
    request_run,
)

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
RACERS = 4


def _request(sessions: sessionmaker[Session], job: str = "recompute", actor: str = "ana") -> int:
    with sessions.begin() as session:
        return request_run(session, job, actor=actor, now=NOW)


def _claim(sessions: sessionmaker[Session], *, now: datetime = NOW) -> list[JobRequest]:
    with sessions.begin() as session:
        return claim_pending(session, now=now)


def _race(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls in threads released together; each one's result."""
    start = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        start.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_a_request_is_pending_with_who_and_when(sessions: sessionmaker[Session]) -> None:
    request_id = _request(sessions, actor="ana@example.com")

    with sessions() as session:
        pending = pending_requests(session)

    assert pending == [
        JobRequest(request_id, "recompute", "ana@example.com", NOW, None, None, "pending")
    ]


def test_a_second_click_returns_the_pending_request(sessions: sessionmaker[Session]) -> None:
    first = _request(sessions, actor="ana")

    second = _request(sessions, actor="bob")

    with sessions() as session:
        assert [r.id for r in pending_requests(session)] == [first]
    assert second == first


def test_each_job_has_its_own_pending_request(sessions: sessionmaker[Session]) -> None:
    ids = {_request(sessions, "recompute"), _request(sessions, "collect_usage")}

    with sessions() as session:
        pending = pending_requests(session)

    assert {r.job for r in pending} == {"recompute", "collect_usage"}
    assert len(ids) == 2


def test_concurrent_clicks_queue_one_request(sessions: sessionmaker[Session]) -> None:
    results = _race([lambda: _request(sessions)] * RACERS)

    with sessions() as session:
        count = session.scalar(select(func.count()).select_from(JobRequestRow))

    assert len(set(results)) == 1
    assert count == 1


def test_claiming_takes_every_pending_request_once(sessions: sessionmaker[Session]) -> None:
    first, second = _request(sessions, "recompute"), _request(sessions, "collect_usage")
    later = NOW + timedelta(minutes=1)

    claimed = _claim(sessions, now=later)
    again = _claim(sessions, now=later)

    assert [(r.id, r.status, r.claimed_at) for r in claimed] == [
        (first, "claimed", later),
        (second, "claimed", later),
    ]
    assert again == []


def test_a_click_after_the_claim_queues_a_new_request(sessions: sessionmaker[Session]) -> None:
    first = _request(sessions)
    _claim(sessions)

    second = _request(sessions)

    assert second != first


def test_concurrent_claimers_never_claim_the_same_request(
    sessions: sessionmaker[Session],
) -> None:
    ids = {_request(sessions, f"job_{i}") for i in range(6)}

    results = _race([lambda: _claim(sessions)] * RACERS)

    claimed = [r.id for result in results for r in result]  # type: ignore[attr-defined]
    assert sorted(claimed) == sorted(ids)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_second_sidecar_skips_rows_the_first_holds(db_engine: Engine) -> None:
    sessions_a, sessions_b = make_sessions(db_engine), make_sessions(db_engine)
    held = _request(sessions_a, "recompute")

    with sessions_a.begin() as first:
        claimed_by_first = claim_pending(first, now=NOW)
        # The first claimer's transaction is still open: its rows are locked, not yet claimed.
        claimed_by_second = _claim(sessions_b)

    assert [r.id for r in claimed_by_first] == [held]
    assert claimed_by_second == []


@pytest.mark.parametrize(("ok", "status"), [(True, "done"), (False, "failed")])
def test_finishing_a_claimed_request_records_the_outcome(
    sessions: sessionmaker[Session], ok: bool, status: str
) -> None:
    request_id = _request(sessions)
    _claim(sessions)
    done_at = NOW + timedelta(minutes=3)

    with sessions.begin() as session:
        finish_request(session, request_id, ok=ok, now=done_at)

    with sessions() as session:
        row = session.get_one(JobRequestRow, request_id)
        assert (row.status, row.finished_at) == (status, done_at)


def test_finishing_a_pending_request_is_refused(sessions: sessionmaker[Session]) -> None:
    request_id = _request(sessions)

    with sessions.begin() as session, pytest.raises(InvalidTransition, match="pending"):
        finish_request(session, request_id, ok=True, now=NOW)


def test_finishing_an_unknown_request_raises_not_found(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session, pytest.raises(NotFound, match="999"):
        finish_request(session, 999, ok=True, now=NOW)


@pytest.mark.parametrize(
    ("job", "actor"), [("", "ana"), ("   ", "ana"), ("x" * 61, "ana"), ("recompute", "")]
)
def test_blank_or_oversized_names_are_refused(
    sessions: sessionmaker[Session], job: str, actor: str
) -> None:
    with sessions.begin() as session, pytest.raises(InvalidInput):
        request_run(session, job, actor=actor, now=NOW)
