"""What every request needs, built once in create_app and read from the app's state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from api.oidc import TokenVerifier
from api.ratelimit import RateLimiter
from data.api_key_actions import ApiKeyDesk
from data.handoff.runner import HandoffRunner
from data.identity import Principal
from data.scenario_runs import SimulationGate
from data.settings import Settings
from data.workflow import Workflow, WorkflowPolicy


@dataclass(frozen=True, slots=True)
class ApiDeps:
    """The process's settings, session factory, base policy, key desk and rate limiter."""

    settings: Settings
    sessions: sessionmaker[Session]
    policy: WorkflowPolicy
    keys: ApiKeyDesk
    limiter: RateLimiter
    tokens: TokenVerifier | None  # OIDC bearer tokens, when TIGHTROPE_AUTH=oidc
    simulator: SimulationGate  # what-if runs: the pages' catalog, bounded CPU

    @classmethod
    def build(cls, settings: Settings, sessions: sessionmaker[Session]) -> ApiDeps:
        policy = WorkflowPolicy.from_settings(settings)
        limiter = RateLimiter(settings.api_rate_per_s, settings.api_rate_burst)
        tokens = TokenVerifier(settings) if settings.auth == "oidc" else None
        keys, simulator = ApiKeyDesk(sessions, policy), SimulationGate.from_settings(settings)
        return cls(settings, sessions, policy, keys, limiter, tokens, simulator)

    def now(self) -> datetime:
        return self.settings.clock().now()

    def workflow(self, principal: Principal) -> Workflow:
        """The workflow service acting for `principal` only (as a page does for its person)."""
        handoff = HandoffRunner(self.sessions, self.settings)  # after commit (decision 023)
        return Workflow(self.sessions, self.policy.for_principal(principal), handoff)


def api_deps(request: Request) -> ApiDeps:
    deps: ApiDeps = request.app.state.deps
    return deps
