"""Who is using this page: the one place the dashboard turns a session into a Principal."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st

from dashboard import deps
from dashboard.components import formats
from dashboard.errors import LoginRefused

# The claim mapping and the stable actor live in data/ so the REST API (api/oidc.py) maps a
# bearer token's claims by the same rule; re-exported here for the pages' callers.
from data.identity import ACTOR_MAX_CHARS as ACTOR_MAX_CHARS
from data.identity import Principal
from data.identity import role_from_claims as role_from_claims
from data.identity import stable_actor as stable_actor
from data.login_actions import LoginDesk
from data.repos.app_users import Login
from data.settings import Settings
from data.workflow.policy import WorkflowPolicy

log = logging.getLogger(__name__)

_RECORDED = "auth_login_recorded"


def is_loopback(address: str | None) -> bool:
    """True for an address only this machine can reach ("" and 0.0.0.0 mean every interface)."""
    if not address:
        return False
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def exposure_refusal(
    settings: Settings, address: str | None, *, trusted_headers: Mapping[str, str] | None = None
) -> str | None:
    """Why Tightrope must not serve on `address` with these settings (None when it may).

    Streamlit copies `server.trustedUserHeaders` into st.user over the cookie's claims: only a
    proxy on the same machine may set them, never a client reaching the port directly.
    """
    if trusted_headers and not is_loopback(address):
        return (
            f"Refusing to serve with server.trustedUserHeaders on {address or 'every interface'}"
            ": any client could claim to be anyone. Serve on a loopback address behind the "
            "proxy that sets them, or remove them (login comes from TIGHTROPE_AUTH=oidc)."
        )
    if settings.auth is not None or is_loopback(address):
        return None
    return (
        f"Refusing to serve without login on {address or 'every interface'}: anyone who "
        "reaches the port would act as an admin. Configure an identity provider "
        "(TIGHTROPE_AUTH=oidc, see docs/auth.md), serve on a loopback address "
        "(--server.address 127.0.0.1), or set TIGHTROPE_AUTH=none to accept it explicitly."
    )


def login_from_claims(claims: Mapping[str, Any], settings: Settings) -> Login:
    """The person an ID token's claims describe, with the role the settings give their groups."""
    issuer, subject, issued = claims.get("iss"), claims.get("sub"), claims.get("iat")
    if not (isinstance(issuer, str) and issuer and isinstance(subject, str) and subject):
        raise LoginRefused("the identity provider sent no issuer or subject")
    if not isinstance(issued, int | float):
        raise LoginRefused("the identity provider's token has no issue time (iat)")
    display = next(
        (str(claims[k]) for k in ("email", "preferred_username", "name") if claims.get(k)),
        subject,
    )
    role = role_from_claims(claims, claim=settings.oidc_role_claim, role_map=settings.oidc_role_map)
    principal = Principal(actor=stable_actor(issuer, subject), display=display, role=role)
    return Login(principal, issuer, subject, datetime.fromtimestamp(issued, tz=UTC))


def expired(login: Login, *, now: datetime, max_age: timedelta) -> bool:
    """True once the login is older than `max_age` (a token issued "later" than now is not)."""
    return now - login.issued_at > max_age


def current_principal() -> Principal:
    """The person behind this browser session.

    With login on, the one `gate` admitted (it runs before any page); without login,
    everyone who reaches the (loopback) port is the configured local actor, with the role
    the settings give that name.
    """
    settings = deps.settings()
    if settings.auth == "oidc":
        return _logged_in(settings).principal
    role = WorkflowPolicy.from_settings(settings).role_of(settings.local_actor)
    return Principal(actor=settings.local_actor, display=settings.local_actor, role=role)


def gate() -> None:
    """Run before any page: stop the script unless this session may see Tightrope.

    Without login the server must be on loopback (or TIGHTROPE_AUTH=none, with a banner);
    with login, only a logged-in user whose login is younger than the maximum age passes,
    and the sidebar gets who they are and a Logout button.
    """
    settings = deps.settings()
    refusal = exposure_refusal(
        settings,
        st.get_option("server.address"),
        trusted_headers=st.get_option("server.trustedUserHeaders"),
    )
    if refusal is not None:
        st.error(refusal, icon=":material/block:")
        st.stop()
    if settings.auth == "oidc":
        _require_login(settings)
    elif settings.auth == "none":
        st.warning(
            "No login: anyone who can reach this address acts as "
            f"{settings.local_actor}. Configure an identity provider (docs/auth.md).",
            icon=":material/lock_open:",
        )


def admit(user: Mapping[str, Any], settings: Settings, *, now: datetime) -> Login | str:
    """The login of the session whose st.user is `user`, or why it may not see Tightrope.

    `is_logged_in` is looked up with .get: without an [auth] section (a server started
    without the launcher) st.user has no such key at all, and that too is "not logged in".
    """
    if not user.get("is_logged_in"):
        return "Sign in with your organisation's account to use Tightrope."
    try:
        login = login_from_claims(user, settings)
    except LoginRefused as error:
        return f"Login refused: {error}. Ask your administrator."
    if expired(login, now=now, max_age=timedelta(hours=settings.auth_session_max_age_hours)):
        return "Your login has expired: sign in again."
    return login


def _require_login(settings: Settings) -> None:
    login = admit(st.user.to_dict(), settings, now=deps.now())
    if isinstance(login, str):
        _login_screen(login)
        return
    _remember(login)
    with st.sidebar:
        who = formats.escape_markdown(login.principal.display)
        st.caption(f"Signed in as {who} ({login.principal.role})")
        if st.button("Log out", key="auth_logout", icon=":material/logout:"):
            st.logout()


def _logged_in(settings: Settings) -> Login:
    return login_from_claims(st.user.to_dict(), settings)


def _login_screen(message: str) -> None:
    st.title("Tightrope", anchor=False)
    st.info(message, icon=":material/lock:")
    if st.button("Log in", key="auth_login", type="primary", icon=":material/login:"):
        st.login()
    st.stop()


def _remember(login: Login) -> None:
    """Record the login once per session (app_user, and an audit event for a new token)."""
    key = (login.principal.actor, login.issued_at)
    if st.session_state.get(_RECORDED) == key:
        return
    policy = WorkflowPolicy.from_settings(deps.settings()).for_principal(login.principal)
    if LoginDesk(deps.sessions(), policy).record(login, now=deps.now()):
        log.info("login: %s as %s", login.principal.actor, login.principal.role)
    st.session_state[_RECORDED] = key
