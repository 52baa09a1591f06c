"""Request and response bodies of what-if runs: the Simulator page's levers (and its team view's
growth), as JSON.

Every lever left out (or null) keeps the service's current value, as an untouched slider does.
The engine's Scenario checks the combination (one count lever, shares within 100 %, ...).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.profiles import ProfileName
from engine.simulation.scenario import DEFAULT_PATHS, MAX_GROWTH_PCT, MAX_PATHS


class Levers(BaseModel):
    """What changes against the service's current config."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    growth_pct: float = Field(default=0.0, gt=-100, le=MAX_GROWTH_PCT, description="Demand growth")
    instance_type: str | None = Field(default=None, description="VM size per replica")
    cpu_request_cores: float | None = Field(default=None, gt=0, description="Pod CPU request")
    memory_request_gib: float | None = Field(default=None, gt=0, description="Pod memory request")
    replicas: int | None = Field(default=None, ge=1, le=10_000, description="A fixed count")
    target_utilization: float | None = Field(
        default=None, gt=0, le=1, description="Count from the peak at this CPU utilization"
    )
    profile: ProfileName | None = Field(default=None, description="Count from a profile's target")
    autoscaling: bool = Field(default=False, description="Count follows each hour (needs a target)")
    commitment_coverage_pct: float | None = Field(default=None, ge=0, le=100)
    commitment_discount_pct: float | None = Field(
        default=None, ge=0, lt=100, description="Default: the catalog's one-year discount"
    )
    spot_pct: float | None = Field(default=None, ge=0, le=100)
    schedule: str | None = Field(default=None, description='"always" or "weekdays 08-18" (UTC)')
    horizon_days: int | None = Field(
        default=None, ge=1, le=90, description="Days of history replayed; default: all, up to 90"
    )
    paths: int = Field(default=DEFAULT_PATHS, ge=1, le=MAX_PATHS, description="Monte Carlo paths")
    seed: int = Field(default=0, ge=0, le=2**63 - 1)


class RunRequest(Levers):
    service_id: int


class SaveRequest(RunRequest):
    name: str = Field(min_length=1, max_length=200)


class SimulationRun(BaseModel):
    """A run's answer: the scenario as run (horizon filled in) and the figures a save keeps."""

    model_config = ConfigDict(frozen=True)

    service_id: int
    usage_end: datetime
    scenario: dict[str, Any]
    summary: dict[str, Any]


class TeamRunRequest(BaseModel):
    """A team under a demand growth, as the Simulator page's team view runs it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    team: str = Field(min_length=1, max_length=200)
    growth_pct: float = Field(
        gt=-100, le=MAX_GROWTH_PCT, description="Demand growth, every service"
    )


class TeamSaveRequest(TeamRunRequest):
    name: str = Field(min_length=1, max_length=200)


class TeamSimulationRun(BaseModel):
    """A team run's answer: what a saved team scenario keeps, and every service's outcome."""

    model_config = ConfigDict(frozen=True)

    team: str
    usage_end: datetime
    summary: dict[str, Any]
    outcomes: list[dict[str, Any]]
