"""Who acts: a stable identity for the audit trail, a name for people, and a role (from an
OIDC token's claims for the dashboard's login and the API's bearer tokens alike)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, get_args

from data.settings import Role

log = logging.getLogger(__name__)
ACTOR_MAX_CHARS = 120  # audit_event.actor and every *_by column
RANKED: tuple[Role, ...] = get_args(Role)  # weakest first, as data.workflow.ROLES


@dataclass(frozen=True, slots=True)
class Principal:
    """The person (or job) behind an action, decided once at the edge (login, CLI, sidecar).

    `actor` is what the audit trail records and must never change for the same person: the
    OIDC issuer and subject when login is on, the configured local name otherwise. `display`
    is for people (an e-mail); `role` is already resolved (claims or settings).
    """

    actor: str
    display: str
    role: Role


def role_from_claims(
    claims: Mapping[str, Any], *, claim: str, role_map: Mapping[str, Role]
) -> Role:
    """The highest role any of the user's groups maps to; viewer when none does.

    The claim may be a list of groups or one string (some providers send a single role).
    """
    value = claims.get(claim)
    if value is None:
        log.warning("authz_claim_missing: the token has no %r claim; role viewer", claim)
    groups = [value] if isinstance(value, str) else list(value or [])
    mapped = [role_map[g] for g in groups if isinstance(g, str) and g in role_map]
    return max(mapped, key=RANKED.index, default="viewer")


def stable_actor(issuer: str, subject: str) -> str:
    """`issuer|subject`: the same person at the same provider, whatever their e-mail becomes.

    Past the actor columns' width (Entra's issuer is long), a digest of the same pair stands
    in; app_user keeps the issuer and subject in full beside it.
    """
    actor = f"{issuer}|{subject}"
    if len(actor) <= ACTOR_MAX_CHARS:
        return actor
    return "oidc-sha256:" + hashlib.sha256(actor.encode()).hexdigest()
