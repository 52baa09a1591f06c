"""The pod size and its HPA's min/max/target sized together, so the rule never fights the HPA.

The HPA scales on usage / request: at CPU demand D (cores, all pods) it settles on
clamp(ceil(D / (request × target)), min, max) replicas. Shrinking the request therefore raises
the replica count, not the CPU reserved (≈ D / target either way), while memory per pod is paid
once per replica more. So the rule prices the whole hourly replica path, keeps peak capacity
(peak p95 demand at max replicas within target) and lets the SLA engine (engine.sla) judge the
replica count the HPA reaches at peak, N+1 and availability included. Without an HPA the
existing joint rule (engine.rules.joint) decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from engine.arrays import FloatArray
from engine.context import ServiceContext
from engine.cost import effective_ratio
from engine.kube.allocation import cost_split_for
from engine.recommendation import Recommendation
from engine.rules.decide import no_data
from engine.rules.grid import spread_zones
from engine.rules.horizontal import replica_floor
from engine.rules.joint import joint
from engine.rules.outcome import no_recommendation
from engine.rules.sizing import lookback
from engine.sla import Candidates, SlaVerdict, evaluate_candidates
from engine.sla.verdict import verdict_at
from engine.units import HOURS_PER_MONTH
from engine.usage import UsageWindow

IntArray = npt.NDArray[np.int64]
EXTRA_REPLICAS = 4  # counts above the peak count tried when N+1 or latency fails there
NEEDS_CPU_REQUEST = "an HPA on CPU scales on usage / request: the pod needs a CPU request"


@dataclass(frozen=True, slots=True)
class HpaSpec:
    """A HorizontalPodAutoscaler on CPU: replica bounds and the target utilization of request."""

    min_replicas: int
    max_replicas: int
    target_cpu_utilization_pct: float

    def __post_init__(self) -> None:
        if not 1 <= self.min_replicas <= self.max_replicas:
            raise ValueError("an HPA needs 1 <= min_replicas <= max_replicas")
        if not 0 < self.target_cpu_utilization_pct <= 100:
            raise ValueError("target_cpu_utilization_pct must lie within (0, 100]")

    def wanted(self, demand_cores: FloatArray, cpu_request_cores: float) -> IntArray:
        """ceil(demand / (request × target)) per hour, before the bounds (the HPA's formula)."""
        per_pod = cpu_request_cores * self.target_cpu_utilization_pct / 100.0
        if per_pod <= 0:
            raise ValueError("an HPA on CPU needs a CPU request > 0")
        # Hours without a sample ask for nothing: the bounds decide them.
        pods = np.nan_to_num(np.round(demand_cores / per_pod, 9))
        wanted: IntArray = np.ceil(pods).astype(np.int64)
        return wanted

    def replicas(self, demand_cores: FloatArray, cpu_request_cores: float) -> IntArray:
        """What the HPA settles on per hour: `wanted` clamped to [min, max]."""
        clamped: IntArray = np.clip(
            self.wanted(demand_cores, cpu_request_cores), self.min_replicas, self.max_replicas
        )
        return clamped


@dataclass(frozen=True, slots=True)
class Pod:
    """One pod's requests: CPU and memory summed over its containers (what the HPA divides by)."""

    cpu_request_cores: float
    memory_request_gib: float


@dataclass(frozen=True, slots=True)
class HpaPlan:
    """One pod size with its HPA: the bounds proposed, the replica paths and their monthly cost.

    `peak_replicas` is the count the SLA engine judged (`verdict`): what the proposed HPA
    reaches at peak demand, raised until the verdict passes (≤ EXTRA_REPLICAS more).
    Costs price each hour's replicas × requests at `request_prices` and the
    config's pricing mix, averaged over the known hours, × 730.
    """

    current: HpaSpec
    proposed: HpaSpec
    current_pod: Pod
    pod: Pod
    peak_demand_cores: float
    peak_replicas: int
    mean_replicas_current: float
    mean_replicas: float
    monthly_cost_current_usd: float
    monthly_cost_usd: float
    verdict: SlaVerdict
    changes: tuple[str, ...]

    @property
    def monthly_cost_delta_usd(self) -> float:
        """Proposed − current monthly USD (negative saves)."""
        return self.monthly_cost_usd - self.monthly_cost_current_usd


def size_pod(ctx: ServiceContext, hpa: HpaSpec | None, proposed: Pod) -> HpaPlan | Recommendation:
    """The pod and its HPA sized together; without an HPA, the joint rule's answer.

    With an HPA, two pod sizes are planned (`plan_hpa`): `proposed` (the container sizing's)
    and the current requests; the cheaper whose verdict passes wins, the proposal on a tie,
    the proposal when neither passes (its verdict says why). Too little data, or a pod without
    a CPU request: the rules' "not_enough_data" / "not_applicable" value.
    """
    if hpa is None:
        return joint(ctx)
    window = lookback(ctx.usage, ctx.config, ctx.profile)
    shortfall = no_data("joint", ctx, window)
    if shortfall is not None:
        return shortfall
    if min(running_pod(ctx).cpu_request_cores, proposed.cpu_request_cores) <= 0:
        return no_recommendation("joint", ctx, "not_applicable", NEEDS_CPU_REQUEST)
    return choose_plan(ctx, window, hpa, proposed)


def running_pod(ctx: ServiceContext) -> Pod:
    """The pod the config runs now (its summed requests; unset counts as 0)."""
    return Pod(ctx.config.cpu_request_cores or 0.0, ctx.config.memory_request_gib or 0.0)


def choose_plan(ctx: ServiceContext, window: UsageWindow, hpa: HpaSpec, proposed: Pod) -> HpaPlan:
    """`proposed` and the current pod each planned under `hpa` (`plan_hpa`): the cheaper whose
    verdict passes, the proposal on a tie, the proposal when neither passes. Both pods need a
    CPU request > 0 (the caller checks: `NEEDS_CPU_REQUEST`)."""
    plans = [plan_hpa(ctx, window, hpa, proposed)]
    if running_pod(ctx) != proposed:
        plans.append(plan_hpa(ctx, window, hpa, running_pod(ctx)))
    passing = [p for p in plans if p.verdict.passes]
    return min(passing, key=lambda p: p.monthly_cost_usd) if passing else plans[0]


def plan_hpa(ctx: ServiceContext, window: UsageWindow, hpa: HpaSpec, pod: Pod) -> HpaPlan:
    """`pod` under `hpa`, with the HPA's bounds and target made to keep the SLA.

    Target = min(current target, the policy's saturation limit) — the HPA holds utilization
    near its target, so a target above the limit the SLA engine allows would breach it at
    every busy hour. Min = max(current min, the replica floor availability needs
    (engine.rules.horizontal.replica_floor)); never lowered, as a min can encode warm-up needs
    the history does not show. Max = max(current max, the smallest count from the HPA's peak
    count up whose SLA verdict passes): peak p95 demand at max replicas stays within target.
    """
    demand = window.cpu_used_p95_cores
    peak = float(np.nanmax(demand))
    limit_pct = math.floor(round(ctx.policy.saturation_limit * 100.0, 6))
    target = min(hpa.target_cpu_utilization_pct, limit_pct)
    floor = replica_floor(ctx.config, ctx.service.sla.availability_target_pct)
    low = max(hpa.min_replicas, floor)
    bounded = HpaSpec(low, max(hpa.max_replicas, low), target)
    start = max(
        int(bounded.wanted(np.array([peak]), pod.cpu_request_cores)[0]), bounded.min_replicas
    )
    verdict, peak_replicas = judge_counts(ctx, window, pod, start)
    proposed = replace(bounded, max_replicas=max(bounded.max_replicas, peak_replicas))
    now_pod = running_pod(ctx)
    now_path = hpa.replicas(demand, now_pod.cpu_request_cores)
    path = proposed.replicas(demand, pod.cpu_request_cores)
    return HpaPlan(
        current=hpa,
        proposed=proposed,
        current_pod=now_pod,
        pod=pod,
        peak_demand_cores=peak,
        peak_replicas=peak_replicas,
        mean_replicas_current=_mean_known(now_path, demand),
        mean_replicas=_mean_known(path, demand),
        monthly_cost_current_usd=_monthly_usd(ctx, now_path, demand, now_pod),
        monthly_cost_usd=_monthly_usd(ctx, path, demand, pod),
        verdict=verdict,
        changes=_changes(hpa, proposed),
    )


def judge_counts(
    ctx: ServiceContext, window: UsageWindow, pod: Pod, start: int
) -> tuple[SlaVerdict, int]:
    """The SLA engine's verdict on start … start + EXTRA_REPLICAS pods of `pod` in one call;
    the first passing count (the last count's verdict when none passes)."""
    replicas = np.arange(start, start + EXTRA_REPLICAS + 1, dtype=np.int64)
    availability_pct = ctx.service.sla.availability_target_pct
    candidates = Candidates(
        replicas=replicas,
        vcpu_per_replica=np.full(len(replicas), pod.cpu_request_cores),
        memory_gib_per_replica=np.full(len(replicas), pod.memory_request_gib),
        zones=spread_zones(ctx.config, replicas, availability_pct),
    )
    sla, policy = ctx.service.sla, ctx.policy
    verdicts = evaluate_candidates(window, ctx.config, candidates, sla=sla, policy=policy)
    passing = np.flatnonzero(verdicts.passes)
    at = int(passing[0]) if len(passing) else len(replicas) - 1
    return verdict_at(verdicts, at, candidates, sla=sla, policy=policy), int(replicas[at])


def _mean_known(path: IntArray, demand: FloatArray) -> float:
    """Mean replicas over the hours with a demand sample."""
    known = np.isfinite(demand)
    return float(path[known].mean()) if known.any() else float("nan")


def _monthly_usd(ctx: ServiceContext, path: IntArray, demand: FloatArray, pod: Pod) -> float:
    """Mean hourly (replicas × priced requests) over known hours × the pricing mix × 730."""
    usd_per_core_hour, usd_per_gib_hour = request_prices(ctx)
    per_pod = pod.cpu_request_cores * usd_per_core_hour + pod.memory_request_gib * usd_per_gib_hour
    mix = effective_ratio(ctx.config, ctx.catalog.discounts)
    return _mean_known(path, demand) * per_pod * mix * HOURS_PER_MONTH


def request_prices(ctx: ServiceContext) -> tuple[float, float]:
    """USD per core-hour and per GiB-hour of requests, as the allocation prices them
    (engine.kube.allocation.cost_split_for: the catalog's Kubernetes prices in the region, else
    OpenCost's default rates — a discovered AWS or on-premises cluster is still priced)."""
    split = cost_split_for(ctx.catalog, ctx.service.region)
    return split.cpu_usd_per_core_hour, split.memory_usd_per_gib_hour


def _changes(current: HpaSpec, proposed: HpaSpec) -> tuple[str, ...]:
    """Each HPA field that moves, in words."""
    moves = (
        ("minReplicas", current.min_replicas, proposed.min_replicas),
        ("maxReplicas", current.max_replicas, proposed.max_replicas),
        ("targetCPUUtilizationPercentage", current.target_cpu_utilization_pct,
         proposed.target_cpu_utilization_pct),
    )  # fmt: skip
    return tuple(f"{name} {old:g} → {new:g}" for name, old, new in moves if old != new)
