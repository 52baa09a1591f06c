"""A login from the dashboard, recorded through the guarded write path like every other change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from data.clock import utc
from data.guard import NO_ID, Attempt, Guard
from data.repos.app_users import Login, record_login
from data.settings import Role
from data.workflow import WorkflowPolicy

# Every signed-in person may record their own login (app_user row and its audit event).
SIGN_IN: Role = "viewer"


class LoginDesk:
    """`LoginDesk(sessions, policy).record(login, now=...)`: True for a new token (one audit
    event), False for a token already recorded (a reload, a second tab)."""

    def __init__(self, sessions: sessionmaker[Session], policy: WorkflowPolicy) -> None:
        self._guard = Guard(sessions, policy)

    def record(self, login: Login, *, now: datetime) -> bool:
        attempt = Attempt("login", SIGN_IN, ("app_user", NO_ID), doing="signing in")

        def change(session: Session) -> bool:
            return record_login(session, login, now=utc(now))

        return self._guard.run(login.principal.actor, attempt, now=now, change=change)
