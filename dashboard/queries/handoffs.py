"""Cached reads of hand-offs (decision 023): where an applied change went, for the pages."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from dashboard import deps
from data.handoff.views import HandoffView, handoffs

Sessions = sessionmaker[Session]


@deps.cached_query()
def for_recommendation(_sessions: Sessions, recommendation_id: int) -> list[HandoffView]:
    """The recommendation's hand-offs (its apply, then its rollback), oldest first."""
    with _sessions() as session:
        return handoffs(session, recommendation_ids=[recommendation_id])


@deps.cached_query()
def labels_by_change(_sessions: Sessions, change_ids: tuple[int, ...]) -> dict[int, str]:
    """Each change's latest hand-off label (its rollback's once rolled back)."""
    with _sessions() as session:
        found = handoffs(session, change_ids=change_ids)
    return {view.change_id: view.label() for view in found}
