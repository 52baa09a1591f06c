"""Who calls: `Authorization: Bearer <API key>` resolved to a Principal, or 401; 429 past the
key's rate limit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import ApiDeps, api_deps
from api.problems import Problem
from data.identity import Principal

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tightrope"'}
# auto_error off: a missing or malformed header is answered here, as a problem with the challenge.
BEARER = HTTPBearer(auto_error=False, description="An API key: `python -m api keys create`.")


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", detail, CHALLENGE)


def caller(
    deps: Annotated[ApiDeps, Depends(api_deps)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Principal:
    """The key's principal: actor `apikey:<name>`, the key's role. 401 for no, unknown or
    revoked key (the same answer for each: a caller learns nothing about other keys)."""
    if credentials is None or not credentials.credentials.strip():
        raise _unauthorized("send an API key as 'Authorization: Bearer <key>'")
    key = deps.keys.authenticate(credentials.credentials.strip(), now=deps.now())
    if key is None:
        raise _unauthorized("the API key is unknown or revoked")
    wait_s = deps.limiter.take(key.id)
    if wait_s is not None:
        raise Problem(
            429, "rate-limited", f"API key {key.name} sent too many requests: retry in {wait_s} s",
            {"Retry-After": str(wait_s)},
        )  # fmt: skip
    return Principal(actor=key.actor, display=key.name, role=key.role)


Caller = Annotated[Principal, Depends(caller)]
Deps = Annotated[ApiDeps, Depends(api_deps)]
