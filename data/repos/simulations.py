"""Saved what-if scenarios: summarize, store, list, read and delete them.

A saved scenario keeps the `Scenario` (the levers) and a `ScenarioSummary` (what the engine
said when it was saved: the config it ran, cost, SLA odds, risk), so scenarios compare side by
side without re-simulating and a promotion (data.repos.promotions) proposes exactly what the
analyst looked at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from data.errors import InvalidInput, NotFound
from data.models import SimulationRow
from data.repos.json_values import to_json
from engine.capacity import CapacityConfig
from engine.simulation import FleetResult, Scenario, SimulationResult
from engine.sla.latency import p95_of_hours

MAX_NAME_CHARS = 200


@dataclass(frozen=True, slots=True)
class ScenarioSummary:
    """What a scenario's simulation said, in the units a reviewer reads (USD per month, hours)."""

    current: CapacityConfig
    proposed: CapacityConfig
    growth_pct: float
    horizon_days: int
    paths: int
    window_start: str
    window_end: str
    current_monthly_list_usd: float
    current_monthly_effective_usd: float
    monthly_list_usd: float  # median path
    monthly_effective_usd: float  # median path
    monthly_effective_usd_p5: float
    monthly_effective_usd_p95: float
    monthly_effective_usd_delta: float
    commitment_waste_usd: float
    spot_savings_usd: float
    schedule_savings_usd: float
    current_breach_hours: int
    breach_hours_replay: int
    breach_hours_p50: float
    hold_probability: float
    holds_replay: bool
    n_plus_one_required: bool
    n_plus_one_ok: bool
    risk_score: int
    risk_label: str
    risk_sub_scores: dict[str, int]
    # The replay's hourly p95 at its 95th percentile by nearest rank, saturated hours included
    # (engine.sla.latency.p95_of_hours, a verdict's rule): +inf when it saturates that often.
    projected_p95_ms: float
    hours_within_target_pct: float
    peak_utilization: float
    # JSON has no infinity (to_json stores null, as for "not modelled"): what tells them apart.
    # Summaries saved before it was kept read as False.
    projected_p95_saturated: bool = False


@dataclass(frozen=True, slots=True)
class TeamSummary:
    """A team scenario (simulate_fleet): who breaks under the growth and what keeps them whole."""

    growth_pct: float
    services: int
    breaking: tuple[str, ...]  # slugs whose SLA breaks at today's replica count
    unfixable: tuple[str, ...]  # slugs no replica count keeps whole
    keep_whole_monthly_usd: float


@dataclass(frozen=True, slots=True)
class SavedScenario:
    """A stored scenario: a service's (ScenarioSummary) or a team's (TeamSummary)."""

    id: int
    service_id: int | None
    team: str | None
    name: str
    scenario: Scenario
    summary: ScenarioSummary | None
    created_by: str
    created_at: datetime
    team_summary: TeamSummary | None = None


def summarize(
    result: SimulationResult, current: CapacityConfig, scenario: Scenario
) -> ScenarioSummary:
    """Reduce a simulation result to the figures a saved scenario keeps."""
    hourly, sla, cost, delta = result.hourly, result.sla, result.cost, result.delta
    p95_ms = p95_of_hours(hourly.replay_latency_p95_ms)
    judged = int(np.count_nonzero(~np.isnan(hourly.replay_latency_p95_ms)))
    return ScenarioSummary(
        current=current,
        proposed=result.config,
        growth_pct=scenario.growth_pct,
        horizon_days=scenario.horizon_days,
        paths=result.paths,
        window_start=str(hourly.hour_start[0]) if len(hourly.hour_start) else "",
        window_end=str(hourly.hour_start[-1]) if len(hourly.hour_start) else "",
        current_monthly_list_usd=delta.current_monthly_list_usd,
        current_monthly_effective_usd=delta.current_monthly_effective_usd,
        monthly_list_usd=cost.list_usd.p50,
        monthly_effective_usd=cost.effective_usd.p50,
        monthly_effective_usd_p5=cost.effective_usd.p5,
        monthly_effective_usd_p95=cost.effective_usd.p95,
        monthly_effective_usd_delta=delta.monthly_effective_usd_delta,
        commitment_waste_usd=cost.commitment_waste_usd.p50,
        spot_savings_usd=cost.spot_savings_usd.p50,
        schedule_savings_usd=cost.schedule_savings_usd.p50,
        current_breach_hours=delta.current_breach_hours,
        breach_hours_replay=sla.breach_hours_replay,
        breach_hours_p50=sla.breach_hours_p50,
        hold_probability=sla.hold_probability,
        holds_replay=sla.holds_replay,
        n_plus_one_required=sla.n_plus_one_required,
        n_plus_one_ok=sla.n_plus_one_ok,
        risk_score=sla.risk_score,
        risk_label=sla.risk_label,
        risk_sub_scores=dict(sla.risk_sub_scores),
        projected_p95_ms=p95_ms,
        hours_within_target_pct=(
            100.0 * (1.0 - sla.breach_hours_replay / judged) if judged else math.nan
        ),
        peak_utilization=_nanmax(hourly.replay_utilization),
        projected_p95_saturated=p95_ms == math.inf,
    )


def summarize_team(result: FleetResult) -> TeamSummary:
    """Reduce a fleet simulation to the figures a saved team scenario keeps."""
    return TeamSummary(
        growth_pct=result.growth_pct,
        services=len(result.outcomes),
        breaking=tuple(o.slug for o in result.outcomes if not o.sla_holds),
        unfixable=tuple(o.slug for o in result.outcomes if o.keep_whole_monthly_usd is None),
        keep_whole_monthly_usd=result.keep_whole_monthly_usd,
    )


def save_scenario(
    session: Session,
    *,
    name: str,
    scenario: Scenario,
    summary: ScenarioSummary | TeamSummary,
    service_id: int | None,
    team: str | None,
    actor: str,
    now: datetime,
) -> int:
    """Store a scenario and its summary; returns its id. Never commits.

    Rules: a name is 1–200 characters after trimming; a scenario names a service or a team.
    """
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_CHARS:
        raise InvalidInput(f"a scenario name needs 1–{MAX_NAME_CHARS} characters")
    if service_id is None and team is None:
        raise InvalidInput("a scenario belongs to a service or a team")
    row = SimulationRow(
        service_id=service_id,
        team=team,
        name=name,
        scenario=to_json(scenario),
        summary=to_json(summary),
        created_by=actor,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row.id


def list_scenarios(
    session: Session,
    *,
    service_id: int | None = None,
    team: str | None = None,
    team_only: bool = False,
) -> list[SavedScenario]:
    """Saved scenarios, oldest first, of one service and/or team (every one without filters);
    `team_only` keeps the team scenarios (those of no single service)."""
    query = select(SimulationRow).order_by(SimulationRow.created_at, SimulationRow.id)
    if service_id is not None:
        query = query.where(SimulationRow.service_id == service_id)
    if team is not None:
        query = query.where(SimulationRow.team == team)
    if team_only:
        query = query.where(SimulationRow.service_id.is_(None))
    return [_to_saved(row) for row in session.scalars(query)]


def get_scenario(session: Session, simulation_id: int) -> SavedScenario:
    row = session.get(SimulationRow, simulation_id)
    if row is None:
        raise NotFound(f"scenario {simulation_id} does not exist")
    return _to_saved(row)


def delete_scenario(session: Session, simulation_id: int) -> SavedScenario:
    """Remove a saved scenario and return what it was (NotFound if it is gone). Never commits.

    A recommendation promoted from it stays: it names the scenario in its explanation.
    """
    saved = get_scenario(session, simulation_id)
    session.execute(delete(SimulationRow).where(SimulationRow.id == simulation_id))
    return saved


def _to_saved(row: SimulationRow) -> SavedScenario:
    team_summary = _team_summary(row.summary) if row.service_id is None else None
    return SavedScenario(
        id=row.id,
        service_id=row.service_id,
        team=row.team,
        name=row.name,
        scenario=Scenario(**row.scenario),
        summary=_summary(row.summary),
        created_by=row.created_by,
        created_at=row.created_at,
        team_summary=team_summary,
    )


def _team_summary(stored: dict[str, Any]) -> TeamSummary | None:
    if set(stored) != {field.name for field in fields(TeamSummary)}:
        return None
    return TeamSummary(
        growth_pct=float(stored["growth_pct"]),
        services=int(stored["services"]),
        breaking=tuple(stored["breaking"]),
        unfixable=tuple(stored["unfixable"]),
        keep_whole_monthly_usd=float(stored["keep_whole_monthly_usd"]),
    )


def _summary(stored: dict[str, Any]) -> ScenarioSummary | None:
    """JSON → ScenarioSummary (nulls written for NaN come back as NaN); None if not one."""
    names = {field.name for field in fields(ScenarioSummary)}
    if not names - {"projected_p95_saturated"} <= set(stored) <= names:
        return None
    values = dict(stored)
    values["current"] = CapacityConfig(**stored["current"])
    values["proposed"] = CapacityConfig(**stored["proposed"])
    values["risk_sub_scores"] = {str(k): int(v) for k, v in stored["risk_sub_scores"].items()}
    for name in ("projected_p95_ms", "hours_within_target_pct", "peak_utilization"):
        values[name] = math.nan if stored[name] is None else float(stored[name])
    if values.get("projected_p95_saturated"):
        values["projected_p95_ms"] = math.inf
    return ScenarioSummary(**values)


def _nanmax(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else math.nan
