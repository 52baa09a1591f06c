"""A service as the engine sees it: identity, placement, policy class and SLA."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from engine.pickling import by_constructor

Environment = Literal["prod", "staging", "dev"]
Platform = Literal["vm", "kubernetes"]
PolicyClass = Literal["latency-critical", "standard", "batch", "dev"]

ENVIRONMENTS: tuple[Environment, ...] = ("prod", "staging", "dev")
PLATFORMS: tuple[Platform, ...] = ("vm", "kubernetes")
POLICY_CLASSES: tuple[PolicyClass, ...] = ("latency-critical", "standard", "batch", "dev")


# Pickled by constructor: every cluster batch ships 256 services to a worker (decision 030).
@by_constructor
@dataclass(frozen=True, slots=True)
class Sla:
    """What the service promises: p95 latency, availability and error-rate ceilings."""

    latency_p95_target_ms: float
    availability_target_pct: float
    max_error_rate_pct: float


@by_constructor
@dataclass(frozen=True, slots=True)
class Service:
    """A catalogued service; `id` is the database key, `slug` the stable human key."""

    id: int
    slug: str
    name: str
    team: str
    owner: str
    environment: Environment
    platform: Platform
    provider: str
    region: str
    policy_class: PolicyClass
    sla: Sla
