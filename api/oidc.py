"""OIDC bearer tokens: a JWT from the dashboard's issuer, checked against the issuer's JWKS.

The token is an ID token issued to the dashboard's client (audience `oidc_client_id`): its
signature (the issuer's published keys), issuer, audience and expiry are checked, and the role
comes from the same claim mapping as the dashboard's login (data.identity.role_from_claims).
Keys are fetched on first use and again when a token names a key we do not hold (the issuer
rotated), at most once a minute.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from api.problems import Problem
from data.identity import Principal, role_from_claims, stable_actor
from data.settings import Settings

log = logging.getLogger(__name__)
ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256")
REFETCH_AFTER_S = 60.0
HTTP_TIMEOUT_S = 5.0


class TokenVerifier:
    """`verifier.principal(token)`: the person a valid token names, or None (not valid)."""

    def __init__(self, settings: Settings) -> None:
        issuer, audience = settings.oidc_issuer_url, settings.oidc_client_id
        assert issuer is not None, "only built when TIGHTROPE_AUTH=oidc (Settings checks both)"
        assert audience is not None
        self._settings = settings
        self._issuer, self._audience = issuer, audience
        self._keys: KeySet | None = None
        self._fetched_s = -REFETCH_AFTER_S
        self._lock = threading.Lock()

    def principal(self, token: str) -> Principal | None:
        claims = self._claims(token)
        if claims is None:
            return None
        issuer, subject = str(claims["iss"]), str(claims.get("sub") or "")
        if not subject:
            return None
        display = next(
            (str(claims[k]) for k in ("email", "preferred_username", "name") if claims.get(k)),
            subject,
        )
        settings = self._settings
        role = role_from_claims(
            claims, claim=settings.oidc_role_claim, role_map=settings.oidc_role_map
        )
        return Principal(actor=stable_actor(issuer, subject), display=display, role=role)

    def _claims(self, token: str) -> Mapping[str, Any] | None:
        try:
            decoded = jwt.decode(token, self._key_set(refresh=False), algorithms=ALGORITHMS)
        except JoseError as first:
            if "key" not in type(first).__name__.lower():
                return None
            try:  # a key id we do not hold: the issuer may have rotated its keys
                decoded = jwt.decode(token, self._key_set(refresh=True), algorithms=ALGORITHMS)
            except JoseError:
                return None
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self._settings.clock().now().timestamp()),
            leeway=60,
            iss={"essential": True, "value": self._issuer},
            aud={"essential": True, "value": self._audience},
            exp={"essential": True},
        )
        try:
            registry.validate(decoded.claims)
        except JoseError:
            return None
        return decoded.claims

    def _key_set(self, *, refresh: bool) -> KeySet:
        with self._lock:
            stale = time.monotonic() - self._fetched_s >= REFETCH_AFTER_S
            if self._keys is None or (refresh and stale):
                self._keys = self._fetch()
                self._fetched_s = time.monotonic()
            return self._keys

    def _fetch(self) -> KeySet:
        try:
            with httpx.Client(timeout=HTTP_TIMEOUT_S) as client:
                config = client.get(f"{self._issuer.rstrip('/')}/.well-known/openid-configuration")
                config.raise_for_status()
                keys = client.get(config.json()["jwks_uri"])
                keys.raise_for_status()
                return KeySet.import_key_set(keys.json())
        except (httpx.HTTPError, ValueError, KeyError, JoseError) as error:
            log.warning("could not read the identity provider's keys: %s", type(error).__name__)
            raise Problem(
                503, "identity-provider-unavailable", "the identity provider's keys are unreadable"
            ) from error
