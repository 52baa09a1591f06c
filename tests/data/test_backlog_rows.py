"""The backlog read as plain rows (data.repos.backlog_rows, behind savings_report.backlog and
service_backlog) gives the same frame to the bit as the ORM rows the export's snapshot reads:
services and team-scope commitments, restores, decided and postponed rows. SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.models import RecommendationRow
from data.repos import savings_report
from data.repos.savings_report import backlog_frame, backlog_query
from data.workflow import Workflow, WorkflowPolicy
from engine.profiles import PROFILES
from jobs.recompute import recompute

DEMO_END = datetime(2026, 11, 26, tzinfo=UTC)
NOW = DEMO_END + timedelta(hours=1)
ACTOR = "local-admin"


@pytest.fixture
def decided(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The demo fleet after a recompute; one recommendation applied, one rejected, one
    postponed (decided_by, decided_at, decision_reason and postponed_until set)."""
    catalog = load_catalog()
    seed_demo_fleet(sessions, catalog, seed=42, n_services=12, days=35, end=DEMO_END)
    recompute(sessions, catalog, profile=PROFILES["balanced"], now=DEMO_END)
    with sessions() as session:
        open_ids = session.execute(
            select(RecommendationRow.id, RecommendationRow.version)
            .where(RecommendationRow.status == "open", RecommendationRow.service_id.is_not(None))
            .order_by(RecommendationRow.id)
        ).all()
    flow = Workflow(sessions, WorkflowPolicy())
    (a, va), (b, vb), (c, vc) = open_ids[0], open_ids[-1], open_ids[len(open_ids) // 2]
    flow.apply(ACTOR, a, expected_version=va, now=NOW)
    flow.reject(ACTOR, b, expected_version=vb, reason="not now", now=NOW)
    flow.postpone(ACTOR, c, expected_version=vc, until=NOW + timedelta(days=3), now=NOW)
    return sessions


def test_the_backlog_read_as_rows_is_the_orm_backlog(decided: sessionmaker[Session]) -> None:
    with decided() as session:
        expected = backlog_frame(session.execute(backlog_query()))
        found = savings_report.backlog(session)

    pd.testing.assert_frame_equal(found, expected)
    assert found["service_id"].isna().any()  # a team-scope commitment is among them
    assert {"applied", "rejected", "postponed", "open"} <= set(found["status"])
    assert found["decided_at"].notna().sum() >= 3


def test_one_services_backlog_read_as_rows_is_its_part_of_the_orm_backlog(
    decided: sessionmaker[Session],
) -> None:
    with decided() as session:
        everyone = backlog_frame(session.execute(backlog_query()))
        service_id = int(everyone.dropna(subset=["service_id"])["service_id"].iloc[0])
        mine = backlog_query().where(RecommendationRow.service_id == service_id)
        expected = backlog_frame(session.execute(mine))
        found = savings_report.service_backlog(session, service_id)

    assert len(found) >= 1
    pd.testing.assert_frame_equal(found, expected)
    part = everyone[everyone["service_id"] == service_id]
    assert found["recommendation_id"].tolist() == part["recommendation_id"].tolist()
