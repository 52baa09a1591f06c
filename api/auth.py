"""Who calls: `Authorization: Bearer <API key>` resolved to a Principal, or 401."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.deps import ApiDeps, api_deps
from api.problems import Problem
from data.identity import Principal

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tightrope"'}


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", detail, CHALLENGE)


def caller(request: Request, deps: Annotated[ApiDeps, Depends(api_deps)]) -> Principal:
    """The key's principal: actor `apikey:<name>`, the key's role. 401 for no, unknown or
    revoked key (the same answer for each: a caller learns nothing about other keys)."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise _unauthorized("send an API key as 'Authorization: Bearer <key>'")
    key = deps.keys.authenticate(secret.strip(), now=deps.now())
    if key is None:
        raise _unauthorized("the API key is unknown or revoked")
    return Principal(actor=key.actor, display=key.name, role=key.role)


Caller = Annotated[Principal, Depends(caller)]
Deps = Annotated[ApiDeps, Depends(api_deps)]
