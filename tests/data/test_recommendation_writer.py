"""RecommendationWriter: a recompute's results written batch by batch in one transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from data.models import RecommendationRow
from data.repos import services
from data.repos.recommendation_values import prepare
from data.repos.recommendations import RecommendationWriter, SaveReport, save_recommendations
from tests.data.test_recommendation_repo import LATER, make_rec
from tests.factories import T0, make_new_service

ON_POSTGRES = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _two_services(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions.begin() as session:
        one, two = services.add_services(
            session, [make_new_service(slug="one"), make_new_service(slug="two")], now=T0
        )
    return one.id, two.id


def _rows(sessions: sessionmaker[Session]) -> list[tuple[int | None, str, str, str]]:
    with sessions() as session:
        return _rows_in(session)


def test_batches_written_one_by_one_store_what_one_save_stores(
    sessions: sessionmaker[Session],
) -> None:
    one, two = _two_services(sessions)
    first = [make_rec(one), make_rec(one, replicas=1, kind="joint")]
    second = [make_rec(two), make_rec(two, outcome="already_optimal", proposed=None)]
    with sessions.begin() as session:
        at_once = save_recommendations(session, first + second, now=T0)
        stored_at_once = _rows_in(session)
        session.rollback()

    with sessions.begin() as session:
        writer = RecommendationWriter(session, now=T0)
        writer.add([prepare(rec) for rec in first])
        writer.add([prepare(rec) for rec in second])
        by_batch = writer.finish()

    assert by_batch == at_once == SaveReport(created=3)
    assert _rows(sessions) == stored_at_once


def _rows_in(session: Session) -> list[tuple[int | None, str, str, str]]:
    query = select(RecommendationRow).order_by(RecommendationRow.id)
    rows = session.scalars(query)
    return [(r.service_id, r.fingerprint, r.status, r.explanation["reason"]) for r in rows]


def test_a_later_batch_supersedes_and_refreshes_only_at_finish(
    sessions: sessionmaker[Session],
) -> None:
    one, two = _two_services(sessions)
    with sessions.begin() as session:
        save_recommendations(session, [make_rec(one), make_rec(two)], now=T0)

    with sessions.begin() as session:
        writer = RecommendationWriter(session, now=LATER)
        writer.add([prepare(make_rec(one, reason="usage fell further"))])
        writer.add([prepare(make_rec(two, replicas=1))])
        report = writer.finish()

    assert report == SaveReport(created=1, updated=1, superseded=1)
    statuses = [(service, status, reason) for service, _, status, reason in _rows(sessions)]
    assert statuses == [
        (one, "open", "usage fell further"),
        (two, "superseded", make_rec(two).reason),
        (two, "open", make_rec(two).reason),
    ]


@ON_POSTGRES
def test_an_open_write_does_not_lock_the_live_rows_it_will_change_until_finish(
    db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    one, two = _two_services(sessions)
    with sessions.begin() as session:
        save_recommendations(session, [make_rec(one)], now=T0)

    with sessions.begin() as session:
        writer = RecommendationWriter(session, now=LATER)
        batch = [make_rec(one, reason="usage fell further"), make_rec(two)]  # a row new too
        writer.add([prepare(rec) for rec in batch])
        with db_engine.begin() as analyst:  # another connection, while the batch is pending
            analyst.execute(text("SET LOCAL lock_timeout = '5s'"))
            changed = analyst.execute(
                text("UPDATE recommendation SET decision_reason = 'looking' WHERE service_id = :s"),
                {"s": one},
            )
        assert changed.rowcount == 1  # not blocked by the pending refresh
        writer.finish()
