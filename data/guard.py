"""The one guarded write path: role check, then the change and its audit event in one transaction.

Every service a page calls (workflow, budgets, scenarios, Run now, uploads) writes through
`Guard.run` (decision 013):

    role ok? ──no──► "denied" audit event (own transaction) ──► Forbidden, nothing else written
       │yes
       ▼
    BEGIN ── change(session) ── its audit event ── COMMIT   (any error: both roll back)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from data.clock import utc
from data.errors import Forbidden
from data.repos.audit import TargetType, record_event
from data.settings import Role

T = TypeVar("T")
log = logging.getLogger(__name__)
DENIED = "denied"
# The id of a target that does not exist yet (a scenario being saved) or is several rows (a
# bulk apply): the event's detail then names what was meant.
NO_ID = 0


class RolePolicy(Protocol):
    """Who has which role (data.workflow.WorkflowPolicy; a Protocol so the workflow can use
    the guard without an import cycle)."""

    def role_of(self, actor: str) -> Role: ...

    def require(self, actor: str, needed: Role, *, action: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Attempt:
    """What someone tries to do, for the role check and the audit trail.

    `action` is the audit trail's name for it ("apply", "scenario_save"); `doing` is how the
    refusal says it to a person ("saving a scenario"), the action itself when empty.
    """

    action: str
    needed: Role
    target: tuple[TargetType, int]
    doing: str = ""
    detail: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


class Guard:
    """`Guard(sessions, policy).run(actor, attempt, now=..., change=...)`; cheap per call."""

    def __init__(self, sessions: sessionmaker[Session], policy: RolePolicy) -> None:
        self._sessions = sessions
        self._policy = policy

    def run(
        self, actor: str, attempt: Attempt, *, now: datetime, change: Callable[[Session], T]
    ) -> T:
        """Check the role, then run `change` in ONE transaction and return what it returns.

        `change` writes its own audit event with `record_event` (it knows the ids and the
        before/after); whatever it raises rolls the change and the event back together.
        """
        self.check(actor, attempt, now=now)
        with self._sessions.begin() as session:
            return change(session)

    def check(self, actor: str, attempt: Attempt, *, now: datetime) -> None:
        """Forbidden, after a "denied" audit event, unless `actor` has the role `attempt` needs."""
        try:
            self._policy.require(actor, attempt.needed, action=attempt.doing or attempt.action)
        except Forbidden as refusal:
            self._record_denial(actor, attempt, now=utc(now))
            raise refusal

    def _record_denial(self, actor: str, attempt: Attempt, *, now: datetime) -> None:
        detail = {
            "attempted": attempt.action,
            "role": self._policy.role_of(actor),
            "needed": attempt.needed,
            **attempt.detail,
        }
        try:
            with self._sessions.begin() as session:
                record_event(
                    session, actor=actor, action=DENIED, target=attempt.target, before=None,
                    after=None, detail=detail, now=now,
                )  # fmt: skip
        except SQLAlchemyError:
            # The refusal stands either way: a database that cannot take the event must not
            # turn a "no" into a crash (the log keeps what the trail could not).
            log.exception("could not record the denial of %s to %s", attempt.action, actor)
