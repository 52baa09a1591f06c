"""The backlog read once for an export: the savings-report frame and each row's full values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy.orm import Session

from data.repos.savings_report import backlog_frame, backlog_query
from data.repos.services import to_service
from data.repos.stored_recommendations import StoredRecommendation, to_stored
from engine.service import Service


@dataclass(frozen=True, slots=True)
class BacklogItem:
    """One stored recommendation with its service (None for a team-scope one) and decider."""

    rec: StoredRecommendation
    service: Service | None
    decided_by: str | None
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class BacklogSnapshot:
    """The backlog frame (savings_report.backlog's rows and order) and its items by id, both
    from one query, so an export's flat and full forms never disagree."""

    frame: pd.DataFrame
    items: dict[int, BacklogItem]


def backlog_snapshot(session: Session) -> BacklogSnapshot:
    pairs = session.execute(backlog_query()).all()
    items = {
        rec.id: BacklogItem(
            to_stored(rec),
            to_service(service) if service is not None else None,
            rec.decided_by,
            rec.decided_at,
        )
        for rec, service in pairs
    }
    return BacklogSnapshot(backlog_frame(pairs), items)
