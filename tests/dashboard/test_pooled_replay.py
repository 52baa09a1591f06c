"""The Recommendations page's SLA replay runs in the server's pool (real workers): a worker that
dies mid-replay is an error on the page, and the next visit replays on the restarted pool."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from dashboard import projection
from data.repos import savings_report
from tests.dashboard.conftest import chart_titles, open_page, sessions_on
from tests.support import pool_work

RECS = "app_pages/recommendations.py"
REPLAY_CHART = "Projected CPU utilization"


@pytest.fixture
def sessions(recommended_database: str) -> Iterator[sessionmaker[Session]]:
    yield from sessions_on(recommended_database)


def _replayed_recommendation(sessions: sessionmaker[Session]) -> int:
    """A recommendation with an SLA verdict and a config on both sides (it has replay charts)."""
    with sessions() as session:
        for rec_id in savings_report.backlog(session)["recommendation_id"]:
            rec = savings_report.get_recommendation(session, int(rec_id))
            if rec.sla is not None and rec.current is not None and rec.proposed is not None:
                return rec.id
    raise AssertionError("the small fleet's recompute made no replayable recommendation")


def test_a_dead_replay_worker_is_an_error_and_the_next_visit_replays(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    rec_id, replay = _replayed_recommendation(sessions), projection.project
    monkeypatch.setattr(projection, "project", pool_work.die)  # pickled by name: dies there

    at = open_page(RECS, query={"rec": str(rec_id)})

    (error,) = [e.value for e in at.error]
    assert error.startswith("The SLA replay did not finish: a pool worker stopped while running")
    assert not any(t.startswith(REPLAY_CHART) for t in chart_titles(at))
    monkeypatch.setattr(projection, "project", replay)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error
    assert any(t.startswith(REPLAY_CHART) for t in chart_titles(at))
