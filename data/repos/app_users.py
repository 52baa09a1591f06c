"""People who logged in: the name shown for each stable actor, and one audit event per login."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.identity import Principal
from data.models import AppUserRow
from data.repos.audit import TargetType, record_event

LOGIN_ACTION = "login"


@dataclass(frozen=True, slots=True)
class Login:
    """A person the identity provider vouched for, and when it issued the token that says so."""

    principal: Principal
    issuer: str
    subject: str
    issued_at: datetime


def record_login(session: Session, login: Login, *, now: datetime) -> bool:
    """Remember who `login.principal.actor` is; True (and an audit event) for a new token.

    The page calls this on every session start: a reload or a second tab carries the same
    token (same `issued_at`), and only a token not seen before counts as a login.
    """
    who = login.principal
    row = session.get(AppUserRow, who.actor, with_for_update=True)
    if row is None:
        row = AppUserRow(actor=who.actor, first_login_at=now)
        session.add(row)
    elif row.last_token_issued_at >= login.issued_at:
        return False
    row.issuer, row.subject, row.display, row.role = (
        login.issuer,
        login.subject,
        who.display,
        who.role,
    )
    row.last_login_at, row.last_token_issued_at = now, login.issued_at
    session.flush()
    record_event(
        session,
        actor=who.actor,
        action=LOGIN_ACTION,
        target=_user_target(who.actor),
        before=None,
        after={"role": who.role},
        detail={"display": who.display, "issued_at": login.issued_at.isoformat()},
        now=now,
    )
    return True


def display_names(session: Session, actors: Iterable[str]) -> dict[str, str]:
    """actor → the e-mail or name it logged in with, for the actors that ever logged in."""
    wanted = sorted(set(actors))
    if not wanted:
        return {}
    query = select(AppUserRow.actor, AppUserRow.display).where(AppUserRow.actor.in_(wanted))
    return {str(actor): str(display) for actor, display in session.execute(query)}


def _user_target(actor: str) -> tuple[TargetType, str]:
    """A person is the target of their login event, named by their actor."""
    return ("app_user", actor)
