"""app_user: a login is remembered once per ID token, audited, and names the actor for people."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from data.identity import Principal
from data.repos.app_users import Login, display_names, record_login
from data.repos.changes import list_audit_events

ISSUER = "https://idp.example.com"
ACTOR = f"{ISSUER}|ana-1"
ISSUED = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
NOW = ISSUED + timedelta(minutes=1)


def _login(*, display: str = "ana@example.com", issued_at: datetime = ISSUED) -> Login:
    principal = Principal(actor=ACTOR, display=display, role="approver")
    return Login(principal, ISSUER, "ana-1", issued_at)


def test_a_new_token_is_one_audited_login_and_a_reload_is_none(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        first = record_login(session, _login(), now=NOW)
    with sessions.begin() as session:
        reload = record_login(session, _login(), now=NOW + timedelta(minutes=5))

    with sessions() as session:
        logins = list_audit_events(session, action="login")
    assert (first, reload) == (True, False)
    assert [(e.actor, e.actor_display, e.target_type, e.target_id) for e in logins] == [
        (ACTOR, "ana@example.com", "app_user", ACTOR)
    ]
    assert logins[0].after == {"role": "approver"}


def test_a_later_token_is_a_new_login_and_updates_the_name_shown(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        record_login(session, _login(), now=NOW)
    later = ISSUED + timedelta(days=1)
    with sessions.begin() as session:
        again = record_login(
            session, _login(display="ana.lima@example.com", issued_at=later), now=later
        )

    with sessions() as session:
        names = display_names(session, [ACTOR, "local-admin"])
        logins = list_audit_events(session, action="login")
    assert again is True
    assert names == {ACTOR: "ana.lima@example.com"}
    assert len(logins) == 2
