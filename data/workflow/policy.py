"""Who may do what: roles ranked viewer < analyst < approver < admin, and the workflow's caps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from types import MappingProxyType

from data.errors import Forbidden
from data.identity import Principal
from data.settings import Role, Settings

ROLES: tuple[Role, ...] = ("viewer", "analyst", "approver", "admin")
DECIDE: Role = "analyst"  # reject, postpone
CHANGE: Role = "approver"  # apply, bulk apply, rollback


@dataclass(frozen=True, slots=True)
class WorkflowPolicy:
    """Roles by actor name and the knobs of the workflow; build it with `from_settings`.

    Unknown actors are viewers; `local_actor` is admin unless `roles` names it.
    """

    roles: Mapping[str, Role] = field(default_factory=lambda: MappingProxyType({}))
    local_actor: str = "local-admin"
    suppression_cooldown_days: int = 30
    bulk_apply_max_count: int = 20
    bulk_apply_max_fleet_pct: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkflowPolicy:
        return cls(
            roles=MappingProxyType(dict(settings.roles)),
            local_actor=settings.local_actor,
            suppression_cooldown_days=settings.suppression_cooldown_days,
            bulk_apply_max_count=settings.bulk_apply_max_count,
            bulk_apply_max_fleet_pct=settings.bulk_apply_max_fleet_pct,
        )

    def for_principal(self, principal: Principal) -> WorkflowPolicy:
        """This policy with the role of `principal` decided at the edge (login claims) and no
        other actor: a page acts for exactly one person."""
        return replace(
            self,
            roles=MappingProxyType({principal.actor: principal.role}),
            local_actor=principal.actor,
        )

    @property
    def cooldown(self) -> timedelta:
        return timedelta(days=self.suppression_cooldown_days)

    def role_of(self, actor: str) -> Role:
        if actor in self.roles:
            return self.roles[actor]
        return "admin" if actor == self.local_actor else "viewer"

    def require(self, actor: str, needed: Role, *, action: str) -> None:
        """Raise Forbidden unless `actor` ranks at least `needed`; a refusal writes nothing."""
        role = self.role_of(actor)
        if ROLES.index(role) < ROLES.index(needed):
            raise Forbidden(f"{actor} is a {role}: {action} needs the {needed} role")
