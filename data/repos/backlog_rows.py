"""The backlog's (recommendation, service) pairs read as plain rows, not ORM objects."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from data.models import RecommendationRow, ServiceRow

# The service fields a backlog row shows, labelled apart from the recommendation's own columns.
_SERVICE_FIELDS = ("name", "slug", "team", "environment", "platform")


@dataclass(frozen=True, slots=True)
class ServiceNames:
    """The service fields of one backlog row (what `savings_report._backlog_row` reads)."""

    name: str
    slug: str
    team: str
    environment: str
    platform: str


def backlog_pairs(
    session: Session, *, service_id: int | None = None
) -> Iterator[tuple[RecommendationRow, ServiceRow | None]]:
    """What `savings_report.backlog_query` yields (every recommendation, or one service's, by
    id, with its service), read as rows: building 1,134 ORM objects (identity map, instance
    state) cost more CPU than the rest of the backlog frame at 1,000 services, and the pages
    keep none of them."""
    query = _query()
    if service_id is not None:
        query = query.where(RecommendationRow.service_id == service_id)
    rows = session.execute(query)  # run now, not at the first next() of the generator
    return (_pair(row) for row in rows)


def _query() -> Select[Any]:
    service = [getattr(ServiceRow, f).label(f"service_{f}") for f in _SERVICE_FIELDS]
    return (
        select(*RecommendationRow.__table__.columns, *service)
        .outerjoin(ServiceRow, ServiceRow.id == RecommendationRow.service_id)
        .order_by(RecommendationRow.id)
    )


def _pair(row: Row[Any]) -> tuple[RecommendationRow, ServiceRow | None]:
    """A row of every recommendation column reads like the ORM row (same attribute names),
    which is all `backlog_frame` asks of it; the service's fields likewise."""
    fields = row._mapping
    service = (
        ServiceNames(*(fields[f"service_{f}"] for f in _SERVICE_FIELDS))
        if fields["service_name"] is not None
        else None
    )
    return cast(RecommendationRow, row), cast(ServiceRow | None, service)
