"""Who acts: a stable identity for the audit trail, a name for people, and a role."""

from __future__ import annotations

from dataclasses import dataclass

from data.settings import Role


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
