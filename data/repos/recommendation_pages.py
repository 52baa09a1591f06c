"""Recommendations a page at a time for the API: filters, a sort, keyset pagination by id.

The order is total (the sort column, then id), and a page starts after the last row of the one
before: `after` names that row's id and the sort value is read from the row itself, so a stored
value never round-trips through text (a float or a Decimal compared to its own rendering).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session, aliased

from data.errors import NotFound
from data.models import RecommendationRow, ServiceRow
from data.repos.stored_recommendations import StoredRecommendation, to_stored

SortKey = Literal["-savings", "savings", "-created", "created", "id"]
SORT_KEYS: tuple[SortKey, ...] = ("-savings", "savings", "-created", "created", "id")


@dataclass(frozen=True, slots=True)
class RecommendationFilter:
    """Which recommendations (None: any) and in which order."""

    status: str | None = None
    team: str | None = None
    service_id: int | None = None
    kind: str | None = None
    sort: SortKey = "-savings"


def recommendation_page(
    session: Session, where: RecommendationFilter, *, after: int | None, limit: int
) -> tuple[list[StoredRecommendation], bool]:
    """Up to `limit` recommendations after the row `after` (None: from the first), and whether
    more follow."""
    query = _filtered(where)
    column, descending = _sort_column(where.sort)
    if after is not None:
        query = query.where(_after(column, descending, after))
    ordering = column.desc() if descending else column.asc()
    rows = list(session.scalars(query.order_by(ordering, RecommendationRow.id).limit(limit + 1)))
    return [to_stored(row) for row in rows[:limit]], len(rows) > limit


def _filtered(where: RecommendationFilter) -> Select[RecommendationRow]:
    query = select(RecommendationRow)
    if where.status is not None:
        query = query.where(RecommendationRow.status == where.status)
    if where.service_id is not None:
        query = query.where(RecommendationRow.service_id == where.service_id)
    if where.kind is not None:
        query = query.where(RecommendationRow.kind == where.kind)
    if where.team is not None:
        query = query.join(ServiceRow, ServiceRow.id == RecommendationRow.service_id).where(
            ServiceRow.team == where.team
        )
    return query


def _sort_column(sort: SortKey) -> tuple[Any, bool]:
    if sort == "id":
        return RecommendationRow.id, False
    column = (
        RecommendationRow.monthly_savings_usd if "savings" in sort else RecommendationRow.created_at
    )
    return column, sort.startswith("-")


def _after(column: Any, descending: bool, after: int) -> ColumnElement[bool]:
    """Rows that sort after row `after`: past its sort value, or level with it and a higher id."""
    if column is RecommendationRow.id:
        newer: ColumnElement[bool] = RecommendationRow.id > after
        return newer
    previous = aliased(RecommendationRow)
    last = select(getattr(previous, column.key)).where(previous.id == after).scalar_subquery()
    beyond = column < last if descending else column > last
    return or_(beyond, and_(column == last, RecommendationRow.id > after))


def get_recommendation(session: Session, recommendation_id: int) -> StoredRecommendation:
    """One recommendation as the pages read it; NotFound if there is none with this id."""
    row = session.get(RecommendationRow, recommendation_id)
    if row is None:
        raise NotFound(f"recommendation {recommendation_id} does not exist")
    return to_stored(row)
