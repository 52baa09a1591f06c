"""Fleet what-if: under a demand growth, which services break and what keeps them whole."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.arrays import FloatArray
from engine.capacity import CapacityConfig
from engine.catalog import Catalog
from engine.cost import running_mask
from engine.risk import RiskScores
from engine.service import Service
from engine.simulation.cost import Commitment, hourly_cost, pricing_mix, replica_usd_per_hour
from engine.simulation.hourly import calibrate, project_hours
from engine.simulation.paths import week_weights
from engine.simulation.scenario import MAX_GROWTH_PCT, replica_floor
from engine.simulation.verdict import (
    INDICATORS,
    Verdicts,
    hourly_indicators,
    judge,
    replay_risk,
)
from engine.simulation.window import recent
from engine.sla import SlaPolicy, policy_for
from engine.units import HOURS_PER_MONTH
from engine.usage import UsageWindow

SEARCH_MARGIN_REPLICAS = 2


@dataclass(frozen=True, slots=True)
class FleetMember:
    """One service of the fleet: who it is, what runs now, and its usage history."""

    service: Service
    current: CapacityConfig
    usage: UsageWindow


@dataclass(frozen=True, slots=True)
class FleetOutcome:
    """One service under the growth: does the SLA hold, and the cheapest count that keeps it.

    `keep_whole_monthly_usd` is the extra monthly effective cost of that count (0 when the SLA
    holds today's count; None when no count searched keeps it — `note` says why).
    """

    service_id: int
    slug: str
    team: str
    sla_holds: bool
    breach_hours: int
    risk_score: int
    current_replicas: int
    cheapest_replicas: int | None
    monthly_effective_usd_current: float
    monthly_effective_usd_cheapest: float | None
    keep_whole_monthly_usd: float | None
    note: str


@dataclass(frozen=True, slots=True)
class FleetResult:
    """Every member's outcome, in input order, and the fleet's totals."""

    growth_pct: float
    outcomes: tuple[FleetOutcome, ...]

    @property
    def breaking_count(self) -> int:
        """Services whose SLA does not hold in the scenario."""
        return sum(not outcome.sla_holds for outcome in self.outcomes)

    @property
    def keep_whole_monthly_usd(self) -> float:
        """Extra monthly cost of keeping every fixable service whole."""
        return sum(outcome.keep_whole_monthly_usd or 0.0 for outcome in self.outcomes)

    @property
    def unfixable_count(self) -> int:
        """Services no candidate keeps whole (no keep-whole cost)."""
        return sum(outcome.keep_whole_monthly_usd is None for outcome in self.outcomes)


def simulate_fleet(
    members: Sequence[FleetMember],
    *,
    growth_pct: float,
    catalog: Catalog,
    horizon_days: int = 90,
    policy: SlaPolicy | None = None,
) -> FleetResult:
    """Replay each service's last `horizon_days` with requests and CPU × (1 + growth_pct / 100).

    Rules: the SLA rules of `simulate` on the replay (no Monte Carlo paths), at the current
    size per replica; replica counts from replica_floor up to max(2 × current + 2,
    ceil(peak CPU / (vCPU × saturation limit)) + 2) are judged in one vectorized batch and the
    smallest passing count is the cheapest (cost grows with the count). `policy` defaults to
    each service's class policy. Raises InsufficientData for a member without usage.
    """
    if not -100.0 < growth_pct <= MAX_GROWTH_PCT:
        raise ValueError(f"growth_pct must lie within (-100, {MAX_GROWTH_PCT}], got {growth_pct}")
    scale = 1.0 + growth_pct / 100.0
    outcomes = tuple(
        _outcome(member, scale=scale, catalog=catalog, horizon_days=horizon_days, policy=policy)
        for member in members
    )
    return FleetResult(growth_pct=growth_pct, outcomes=outcomes)


def _outcome(
    member: FleetMember,
    *,
    scale: float,
    catalog: Catalog,
    horizon_days: int,
    policy: SlaPolicy | None,
) -> FleetOutcome:
    service, current = member.service, member.current
    policy = policy or policy_for(service.policy_class)
    window = recent(member.usage, horizon_days)
    counts = _searched_counts(window, current, service, policy, scale)
    verdicts, scores = _judge_counts(window, current, counts, service, policy, scale)
    now = int(np.flatnonzero(counts == current.replicas)[0])
    passing = np.flatnonzero(verdicts.holds)
    monthly_usd = _monthly_effective_usd(window, current, counts, service, catalog)
    return _fleet_outcome(
        member,
        holds=bool(verdicts.holds[now]),
        breach_hours=int(verdicts.breach_hours[now]),
        risk_score=int(scores.total[now]),
        cheapest=int(counts[passing[0]]) if len(passing) else None,
        current_usd=float(monthly_usd[now]),
        cheapest_usd=float(monthly_usd[passing[0]]) if len(passing) else None,
        searched_up_to=int(counts.max()),
    )


def _judge_counts(
    window: UsageWindow,
    current: CapacityConfig,
    counts: FloatArray,
    service: Service,
    policy: SlaPolicy,
    scale: float,
) -> tuple[Verdicts, RiskScores]:
    """The SLA rules and risk of every replica count (rows) over the scaled replay."""
    model = calibrate(window, current)
    projection = project_hours(window, current, counts[:, None], model=model, demand_scale=scale)
    sums = hourly_indicators(projection, sla=service.sla, policy=policy).sum(axis=-2)
    verdicts = judge(
        sums[:, :INDICATORS], projection, zones=current.zones, sla=service.sla, policy=policy
    )
    scores = replay_risk(
        projection, verdicts, sla=service.sla, policy=policy, modelled=model.modelled
    )
    return verdicts, scores


def _fleet_outcome(
    member: FleetMember,
    *,
    holds: bool,
    breach_hours: int,
    risk_score: int,
    cheapest: int | None,
    current_usd: float,
    cheapest_usd: float | None,
    searched_up_to: int,
) -> FleetOutcome:
    if holds:
        keep_whole: float | None = 0.0
        note = "the SLA holds at the current replica count"
    elif cheapest_usd is None:
        keep_whole = None
        note = f"no replica count up to {searched_up_to} keeps the SLA at this size"
    else:
        keep_whole = max(cheapest_usd - current_usd, 0.0)
        note = f"{cheapest} replicas keep the SLA"
    return FleetOutcome(
        service_id=member.service.id,
        slug=member.service.slug,
        team=member.service.team,
        sla_holds=holds,
        breach_hours=breach_hours,
        risk_score=risk_score,
        current_replicas=member.current.replicas,
        cheapest_replicas=cheapest,
        monthly_effective_usd_current=current_usd,
        monthly_effective_usd_cheapest=cheapest_usd,
        keep_whole_monthly_usd=keep_whole,
        note=note,
    )


def _searched_counts(
    window: UsageWindow, current: CapacityConfig, service: Service, policy: SlaPolicy, scale: float
) -> FloatArray:
    """The current count plus replica_floor .. the search ceiling (see simulate_fleet)."""
    floor = replica_floor(current, service.sla.availability_target_pct)
    peak_cpu_cores = float(np.fmax.reduce(window.cpu_used_p95_cores)) * scale
    per_replica = current.vcpu_per_replica * policy.saturation_limit
    saturation_count = 0
    if per_replica > 0 and math.isfinite(peak_cpu_cores):
        saturation_count = math.ceil(peak_cpu_cores / per_replica)
    ceiling = max(2 * current.replicas + 2, saturation_count + SEARCH_MARGIN_REPLICAS, floor)
    searched = np.arange(floor, ceiling + 1)
    counts: FloatArray = np.union1d(searched, [current.replicas]).astype(np.float64)
    return counts


def _monthly_effective_usd(
    window: UsageWindow,
    current: CapacityConfig,
    counts: FloatArray,
    service: Service,
    catalog: Catalog,
) -> FloatArray:
    """Monthly effective USD of each replica count under the current pricing mix and schedule.

    Rule: simulate's cost rule; today's commitment stays what it is, so the replicas added to
    keep a service whole run on demand (or spot), not at the committed price.
    """
    running = running_mask(current.schedule, window.hour_start).astype(np.float64)
    replica_usd = replica_usd_per_hour(current, region=service.region, catalog=catalog)
    commitment = Commitment(current.commitment_coverage_pct, current.replicas * replica_usd)
    cost = hourly_cost(
        counts[:, None],
        running,
        replica_usd=replica_usd,
        mix=pricing_mix(current, catalog, commitment=commitment),
    )
    weights = week_weights(window.hour_start) * HOURS_PER_MONTH
    monthly: FloatArray = np.sum(cost.effective_usd * weights, axis=-1)  # no BLAS (decision 005)
    return monthly
