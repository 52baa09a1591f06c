"""After an apply or rollback commits: hand its change off and say where it went (decision 023).

Never inside the decision's transaction, and never able to undo it: whatever goes wrong here
leaves the decision recorded, the hand-off row pending for the sidecar, and says so.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from data.errors import DataError
from data.handoff.views import HandoffView, handoffs, recorded_only_label
from data.workflow.outcome import Outcome
from data.workflow.states import ROLLED_BACK

log = logging.getLogger(__name__)


class HandoffStep(Protocol):
    """data.handoff.runner.HandoffRunner, as the workflow needs it."""

    def hand_off_changes(
        self, change_ids: Iterable[int], *, now: datetime
    ) -> list[HandoffView]: ...


def hand_off(
    sessions: sessionmaker[Session],
    step: HandoffStep | None,
    outcomes: list[Outcome],
    *,
    now: datetime,
) -> list[Outcome]:
    """The outcomes with their hand-off label, after the hand-off step ran."""
    changes = [o.change_id for o in outcomes if o.change_id is not None]
    views = _views(sessions, step, changes, now=now) if changes else []
    by_change = {(v.change_id, v.action): v for v in views}
    return [_labelled(o, by_change) for o in outcomes]


def _views(
    sessions: sessionmaker[Session], step: HandoffStep | None, changes: list[int], *, now: datetime
) -> list[HandoffView]:
    try:
        if step is not None:
            return step.hand_off_changes(changes, now=now)
    except (DataError, SQLAlchemyError):
        log.exception("hand-off of changes %s not done now: the sidecar retries", changes)
    with sessions() as session:
        return handoffs(session, change_ids=changes)


def _labelled(outcome: Outcome, views: dict[tuple[int, str], HandoffView]) -> Outcome:
    action = "rollback" if outcome.status == ROLLED_BACK else "apply"
    view = views.get((outcome.change_id or 0, action))
    label = view.label() if view is not None else recorded_only_label()
    return dataclasses.replace(outcome, handoff=label)
