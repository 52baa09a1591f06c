"""Promotions: a saved service scenario becomes an open recommendation (scope "scenario")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.errors import Drifted, InvalidInput
from data.models import RecommendationRow
from data.repos import services
from data.repos.explanations import explanation_from_json
from data.repos.json_values import to_json
from data.repos.recommendations import LIVE_STATUSES, insert_recommendation
from data.repos.simulations import SavedScenario, ScenarioSummary, get_scenario
from engine.capacity import CapacityConfig
from engine.recommendation import Money, Recommendation, RecommendationKind, Risk, SlaSummary

SCENARIO_SCOPE = "scenario"  # a slot no recompute evaluates, so none supersedes a promotion
_SIZE_FIELDS = ("instance_type", "cpu_request_cores", "memory_request_gib")
_PRICING_FIELDS = ("commitment_coverage_pct", "spot_pct")


@dataclass(frozen=True, slots=True)
class Promotion:
    """The recommendation a scenario became; `created` is False when it already was one."""

    recommendation_id: int
    created: bool


def promote_to_recommendation(
    session: Session, simulation_id: int, *, currency: str = "USD", now: datetime
) -> int:
    """The id of the open recommendation `simulation_id` became (see `promote`). Never commits."""
    return promote(session, simulation_id, currency=currency, now=now).recommendation_id


def promote(
    session: Session, simulation_id: int, *, currency: str = "USD", now: datetime
) -> Promotion:
    """Turn a saved service scenario into an open recommendation. Never commits.

    Rules: the scenario must change the config and the service must still run the config the
    scenario was simulated against (else Drifted: simulate again). Promoting the same proposal
    twice returns the live recommendation already made (`created` False). The kind is the
    closest rule's (`proposal_kind`); the scope is "scenario", so a recompute never supersedes it.
    """
    saved = get_scenario(session, simulation_id)
    summary = saved.summary
    if saved.service_id is None or summary is None:
        raise InvalidInput("only a single service's scenario can become a recommendation")
    if summary.proposed == summary.current:
        raise InvalidInput(f"scenario {saved.name!r} does not change the configuration")
    live = services.current_config(session, saved.service_id)
    if live != summary.current:
        raise Drifted(
            f"the service's configuration changed since scenario {saved.name!r} was saved "
            f"({summary.current.describe()} → now {live.describe()}): simulate it again"
        )
    rec = _recommendation(saved, summary, currency=currency)
    existing = session.scalars(
        select(RecommendationRow.id).where(
            RecommendationRow.fingerprint == rec.key, RecommendationRow.status.in_(LIVE_STATUSES)
        )
    ).first()
    if existing is not None:
        return Promotion(int(existing), created=False)
    return Promotion(insert_recommendation(session, rec, now=now), created=True)


def proposal_kind(current: CapacityConfig, proposed: CapacityConfig) -> RecommendationKind:
    """The rule a change resembles: size + count → joint, size → rightsize, count → horizontal,
    schedule alone → off_hours, pricing mix alone → commitment; anything else → joint."""
    size = _differs(current, proposed, _SIZE_FIELDS)
    count = current.replicas != proposed.replicas
    schedule = current.schedule != proposed.schedule
    pricing = _differs(current, proposed, _PRICING_FIELDS)
    if size and not (schedule or pricing):
        return "joint" if count else "rightsize"
    if count and not (size or schedule or pricing):
        return "horizontal"
    if schedule and not (size or count or pricing):
        return "off_hours"
    if pricing and not (size or count or schedule):
        return "commitment"
    return "joint"


def _recommendation(
    saved: SavedScenario, summary: ScenarioSummary, *, currency: str
) -> Recommendation:
    kind = proposal_kind(summary.current, summary.proposed)
    why = f"from scenario {saved.name}"
    reason = (
        f"Proposed {why} (saved by {saved.created_by}): {summary.current.describe()} → "
        f"{summary.proposed.describe()}, P(SLA holds) {summary.hold_probability * 100:.1f} % "
        f"at {summary.growth_pct:+.0f} % demand."
    )
    return Recommendation(
        kind=kind,
        outcome="recommend",
        reason=reason,
        service_id=saved.service_id,
        scope=SCENARIO_SCOPE,
        current=summary.current,
        proposed=summary.proposed,
        cost_current=Money(summary.current_monthly_list_usd, summary.current_monthly_effective_usd),
        cost_proposed=Money(summary.monthly_list_usd, summary.monthly_effective_usd),
        risk=Risk(summary.risk_score, dict(summary.risk_sub_scores)),
        sla=SlaSummary(
            passes=summary.holds_replay,
            projected_p95_ms=summary.projected_p95_ms,
            hours_within_target_pct=summary.hours_within_target_pct,
            peak_utilization=summary.peak_utilization,
            n_plus_one_ok=summary.n_plus_one_ok,
            availability_ok=summary.n_plus_one_ok or not summary.n_plus_one_required,
            reasons=() if summary.holds_replay else ("the SLA does not hold on the replay",),
        ),
        # Built in the stored form, then typed: a scenario over no hours keeps its "" window.
        explanation=explanation_from_json(
            {
                "why": why,
                "simulation_id": saved.id,
                "scenario_name": saved.name,
                "scenario": to_json(saved.scenario),
                "growth_pct": summary.growth_pct,
                "hold_probability": summary.hold_probability,
                "breach_hours_p50": summary.breach_hours_p50,
                "paths": summary.paths,
                "window_start": summary.window_start,
                "window_end": summary.window_end,
            }
        ),
        effort="low" if kind in ("horizontal", "off_hours", "commitment") else "medium",
        restart_needed=_differs(summary.current, summary.proposed, _SIZE_FIELDS),
        currency=currency,
    )


def _differs(current: CapacityConfig, proposed: CapacityConfig, names: tuple[str, ...]) -> bool:
    return any(getattr(current, name) != getattr(proposed, name) for name in names)
