"""Who calls: `Authorization: Bearer <API key or OIDC token>` resolved to a Principal, or 401;
429 past the caller's rate limit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import ApiDeps, api_deps
from api.problems import Problem
from data.identity import Principal
from data.repos.api_keys import SECRET_PREFIX

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tightrope"'}
# auto_error off: a missing or malformed header is answered here, as a problem with the challenge.
BEARER = HTTPBearer(
    auto_error=False,
    description="An API key (`python -m api keys create`) or, with TIGHTROPE_AUTH=oidc, an ID "
    "token from the dashboard's identity provider.",
)


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", detail, CHALLENGE)


def caller(
    deps: Annotated[ApiDeps, Depends(api_deps)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Principal:
    """The principal behind the bearer: an API key (actor `apikey:<name>`, the key's role) or
    an OIDC token (the login's actor and claim-mapped role). 401 for none, an unknown or revoked
    key, or a token that does not verify (the same answer: a caller learns nothing more)."""
    secret = credentials.credentials.strip() if credentials else ""
    if not secret:
        raise _unauthorized("send 'Authorization: Bearer <API key or token>'")
    principal = _principal(deps, secret)
    if principal is None:
        raise _unauthorized("the API key or token is unknown, revoked or expired")
    wait_s = deps.limiter.take(principal.actor)
    if wait_s is not None:
        raise Problem(
            429, "rate-limited", f"{principal.actor} sent too many requests: retry in {wait_s} s",
            {"Retry-After": str(wait_s)},
        )  # fmt: skip
    return principal


def _principal(deps: ApiDeps, secret: str) -> Principal | None:
    if secret.startswith(SECRET_PREFIX) or deps.tokens is None:
        key = deps.keys.authenticate(secret, now=deps.now())
        return None if key is None else Principal(key.actor, key.name, key.role)
    return deps.tokens.principal(secret)


Caller = Annotated[Principal, Depends(caller)]
Deps = Annotated[ApiDeps, Depends(api_deps)]
