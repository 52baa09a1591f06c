"""API keys through the guarded write path: admins create and revoke them, each change audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from data.clock import utc
from data.guard import NO_ID, Attempt, Guard
from data.repos import api_keys
from data.repos.api_keys import ApiKey, IssuedKey
from data.settings import Role
from data.workflow import WorkflowPolicy

# A key acts with its role on every resource: only admins may mint or revoke one.
MANAGE_KEYS: Role = "admin"


class ApiKeyDesk:
    """`ApiKeyDesk(sessions, policy)`: create / revoke (admin, audited), list, authenticate."""

    def __init__(self, sessions: sessionmaker[Session], policy: WorkflowPolicy) -> None:
        self._sessions = sessions
        self._guard = Guard(sessions, policy)

    def create(self, actor: str, *, name: str, role: str, now: datetime) -> IssuedKey:
        attempt = Attempt(
            "api_key_create", MANAGE_KEYS, ("api_key", NO_ID), doing="creating an API key",
            detail={"name": name, "role": role},
        )  # fmt: skip

        def change(session: Session) -> IssuedKey:
            return api_keys.create_key(session, name=name, role=role, actor=actor, now=utc(now))

        return self._guard.run(actor, attempt, now=now, change=change)

    def revoke(self, actor: str, *, name: str, now: datetime) -> ApiKey:
        attempt = Attempt(
            "api_key_revoke", MANAGE_KEYS, ("api_key", NO_ID), doing="revoking an API key",
            detail={"name": name},
        )  # fmt: skip

        def change(session: Session) -> ApiKey:
            return api_keys.revoke_key(session, name=name, actor=actor, now=utc(now))

        return self._guard.run(actor, attempt, now=now, change=change)

    def list(self) -> list[ApiKey]:
        with self._sessions() as session:
            return api_keys.list_keys(session)

    def authenticate(self, secret: str, *, now: datetime) -> ApiKey | None:
        """The active key behind `secret`, its last_used_at refreshed (at most once a minute).

        Bookkeeping, not a decision: no audit event for a read (every write the key makes is
        audited with its actor by the service that makes it)."""
        with self._sessions() as session:
            key = api_keys.find_active(session, secret)
        if key is not None and api_keys.due_for_touch(key, now=utc(now)):
            # A write only when due: on SQLite even an UPDATE matching no row takes the lock.
            with self._sessions.begin() as session:
                api_keys.touch(session, key.id, now=utc(now))
        return key
