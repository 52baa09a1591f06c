"""The demo fleet as a live telemetry source: every hour after the last stored one, up to now."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from data.connectors.demo.fleet import build_fleet
from data.connectors.demo.shapes import usage_window
from data.repos.services import list_services
from data.repos.usage import insert_usage, latest_usage_hours, to_datetime64
from engine.catalog import Catalog

USAGE_SOURCE = "demo"
MAX_CATCH_UP_DAYS = 14  # a demo left off for months resumes with two weeks, not months


def extend_demo_usage(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    *,
    seed: int,
    n_services: int,
    until: datetime,
) -> int:
    """Append demo usage for each seeded service from its newest stored hour to `until`
    (an aware whole hour, exclusive).

    Rules: services are matched to the demo fleet (same seed and size) by slug; a service with
    no stored usage or not in the fleet is left alone; hours already stored are never written
    twice; at most MAX_CATCH_UP_DAYS are generated. One transaction. Returns rows written.
    """
    fleet = {
        demo.draft.slug: demo for demo in build_fleet(catalog, seed=seed, n_services=n_services)
    }
    rows = 0
    with sessions.begin() as session:
        latest = latest_usage_hours(session)
        for service in list_services(session):
            demo, last = fleet.get(service.slug), latest.get(service.id)
            if demo is None or last is None:
                continue
            gap_hours = int((until - last) / timedelta(hours=1)) - 1
            if gap_hours <= 0:
                continue
            days = min(math.ceil(gap_hours / 24), MAX_CATCH_UP_DAYS)
            window = usage_window(demo, service_id=service.id, end=until, days=days)
            rows += insert_usage(
                session, window.rows(window.hour_start > to_datetime64(last)), source=USAGE_SOURCE
            )
    return rows
