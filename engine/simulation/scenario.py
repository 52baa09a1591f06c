"""A what-if scenario: config changes, demand growth, pricing mix, schedule, horizon and paths."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from engine.arrays import FloatArray
from engine.capacity import CapacityConfig
from engine.catalog import Catalog
from engine.cost import scheduled_fraction
from engine.profiles import PROFILES, ProfileName
from engine.sla import replicas_needed

MAX_GROWTH_PCT = 1_000.0
MAX_HORIZON_DAYS = 400
MAX_PATHS = 10_000
DEFAULT_PATHS = 500
DEFAULT_HORIZON_DAYS = 90


@dataclass(frozen=True, slots=True)
class Scenario:
    """What changes against the current config; None keeps the current value.

    Sizing: `instance_type` (VM) or `cpu_request_cores` + `memory_request_gib` (pods) set the
    size per replica; at most one of `replicas`, `target_utilization` and `profile` (whose
    target utilization is used) sets the count. `autoscaling` (needs a target) lets the count
    follow the hourly demand instead of staying at the peak's count. Demand: `growth_pct`
    scales requests and CPU, not memory. Pricing: shares and discounts in percent (discounts
    default to the catalog's one-year and spot discounts); `commitment_coverage_pct` sizes the
    commitment against today's fleet, and it then stays fixed whatever the scenario runs
    (engine/simulation/cost.py, Commitment); `spot_pct` is a share of the scenario's running
    replicas. `horizon_days` of history are replayed; `paths` Monte Carlo paths are drawn
    with `seed`.
    """

    growth_pct: float = 0.0
    instance_type: str | None = None
    cpu_request_cores: float | None = None
    memory_request_gib: float | None = None
    replicas: int | None = None
    target_utilization: float | None = None
    profile: ProfileName | None = None
    autoscaling: bool = False
    commitment_coverage_pct: float | None = None
    commitment_discount_pct: float | None = None
    spot_pct: float | None = None
    spot_discount_pct: float | None = None
    schedule: str | None = None
    horizon_days: int = DEFAULT_HORIZON_DAYS
    paths: int = DEFAULT_PATHS
    seed: int = 0

    def __post_init__(self) -> None:
        _check_range("growth_pct", self.growth_pct, -100.0, MAX_GROWTH_PCT, low_open=True)
        _check_sizing(self)
        _check_pricing(self)
        if self.schedule is not None:
            scheduled_fraction(self.schedule)  # raises ValueError when malformed
        _check_range("horizon_days", self.horizon_days, 1, MAX_HORIZON_DAYS)
        _check_range("paths", self.paths, 1, MAX_PATHS)
        _check_range("seed", self.seed, 0, 2**63 - 1)

    @property
    def demand_scale(self) -> float:
        """Multiplier of requests/s and CPU: 1 + growth_pct / 100."""
        return 1.0 + self.growth_pct / 100.0

    @property
    def wanted_utilization(self) -> float | None:
        """The target utilization asked for, directly or through the profile; None if neither."""
        if self.profile is not None:
            return PROFILES[self.profile].target_utilization
        return self.target_utilization


def _check_sizing(scenario: Scenario) -> None:
    """Reject contradictory or out-of-range size and count changes."""
    requests = (scenario.cpu_request_cores, scenario.memory_request_gib)
    if scenario.instance_type is not None and any(value is not None for value in requests):
        raise ValueError("set an instance_type (vm) or pod requests (kubernetes), not both")
    for name, value in zip(("cpu_request_cores", "memory_request_gib"), requests, strict=True):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be > 0, got {value}")
    counts = (scenario.replicas, scenario.target_utilization, scenario.profile)
    if sum(value is not None for value in counts) > 1:
        raise ValueError("set at most one of replicas, target_utilization and profile")
    if scenario.replicas is not None and not 1 <= scenario.replicas <= 10_000:
        raise ValueError(f"replicas must lie within 1..10000, got {scenario.replicas}")
    if scenario.target_utilization is not None:
        _check_range("target_utilization", scenario.target_utilization, 0.0, 1.0, low_open=True)
    if scenario.profile is not None and scenario.profile not in PROFILES:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {scenario.profile!r}")
    if scenario.autoscaling and scenario.wanted_utilization is None:
        raise ValueError("autoscaling needs a target_utilization or a profile")


def _check_pricing(scenario: Scenario) -> None:
    """Shares within 0..100 % (together too), discounts within [0, 100)."""
    coverage, spot = scenario.commitment_coverage_pct, scenario.spot_pct
    for name, share in (("commitment_coverage_pct", coverage), ("spot_pct", spot)):
        if share is not None:
            _check_range(name, share, 0.0, 100.0)
    if (coverage or 0.0) + (spot or 0.0) > 100.0:
        raise ValueError("commitment coverage + spot share must lie within 0..100 %")
    for name in ("commitment_discount_pct", "spot_discount_pct"):
        discount = getattr(scenario, name)
        if discount is not None and not 0.0 <= discount < 100.0:
            raise ValueError(f"{name} must lie within [0, 100), got {discount}")


def _check_range(
    name: str, value: float, low: float, high: float, *, low_open: bool = False
) -> None:
    inside = (low < value if low_open else low <= value) and value <= high
    if not (isinstance(value, int | float) and inside):
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must lie within {bracket}{low}, {high}], got {value!r}")


def scenario_config(
    current: CapacityConfig,
    scenario: Scenario,
    *,
    catalog: Catalog,
    peak_cpu_cores: float,
    availability_target_pct: float,
) -> CapacityConfig:
    """The config the scenario runs: the current one with the scenario's changes applied.

    Rules: a new instance type takes its vCPU and memory from the catalog; new pod requests are
    the per-replica capacity. A target utilization (or profile) sets replicas =
    ceil(peak growth-scaled hourly p95 CPU / (vCPU per replica × target)), never below
    replica_floor. Pricing shares and schedule replace the current ones when given.
    """
    sized = _resized(current, scenario, catalog)
    replicas = sized.replicas if scenario.replicas is None else scenario.replicas
    target = scenario.wanted_utilization
    if target is not None:
        floor = replica_floor(sized, availability_target_pct)
        replicas = max(_replicas_for(peak_cpu_cores, sized.vcpu_per_replica, target), floor)
    return replace(
        sized,
        replicas=replicas,
        commitment_coverage_pct=_keep(
            scenario.commitment_coverage_pct, current.commitment_coverage_pct
        ),
        spot_pct=_keep(scenario.spot_pct, current.spot_pct),
        schedule=scenario.schedule or current.schedule,
    )


def replicas_per_hour(
    config: CapacityConfig,
    scenario: Scenario,
    cpu_cores: FloatArray,
    *,
    availability_target_pct: float,
) -> FloatArray:
    """Replicas running each hour while on schedule (the schedule is applied elsewhere).

    Rule: the config's count every hour; with autoscaling, ceil(hourly growth-scaled p95 CPU /
    (vCPU per replica × target)) bounded below by replica_floor (and by it alone where CPU is
    unknown) and above by the config's count.
    """
    target = scenario.wanted_utilization
    if not scenario.autoscaling or target is None:
        return np.full(cpu_cores.shape, float(config.replicas))
    per_replica = config.vcpu_per_replica * target
    wanted = np.ceil(np.round(np.nan_to_num(cpu_cores, nan=0.0) / per_replica, 9))
    floor = replica_floor(config, availability_target_pct)
    bounded: FloatArray = np.clip(wanted, floor, max(config.replicas, floor))
    return bounded


def replica_floor(config: CapacityConfig, availability_target_pct: float) -> int:
    """max(min_replicas, zones, replicas the availability target needs, 1)."""
    return max(config.min_replicas, config.zones, replicas_needed(availability_target_pct), 1)


def _resized(current: CapacityConfig, scenario: Scenario, catalog: Catalog) -> CapacityConfig:
    """The current config with the scenario's size per replica."""
    if scenario.instance_type is not None:
        if current.platform != "vm":
            raise ValueError("an instance_type applies to a vm service, not kubernetes")
        spec = catalog.spec(scenario.instance_type)
        return replace(
            current,
            instance_type=spec.name,
            vcpu_per_replica=spec.vcpu,
            memory_gib_per_replica=spec.memory_gib,
        )
    if scenario.cpu_request_cores is None and scenario.memory_request_gib is None:
        return current
    if current.platform != "kubernetes":
        raise ValueError("pod requests apply to a kubernetes service, not a vm")
    cpu = _keep(scenario.cpu_request_cores, current.cpu_request_cores or 0.0)
    memory = _keep(scenario.memory_request_gib, current.memory_request_gib or 0.0)
    return replace(
        current,
        cpu_request_cores=cpu,
        memory_request_gib=memory,
        vcpu_per_replica=cpu,
        memory_gib_per_replica=memory,
    )


def _replicas_for(peak_cpu_cores: float, vcpu_per_replica: float, target: float) -> int:
    """ceil(peak / (vCPU × target)), 1 when the peak is unknown or the replica has no CPU."""
    per_replica = vcpu_per_replica * target
    if not (per_replica > 0 and math.isfinite(peak_cpu_cores)):
        return 1
    return max(math.ceil(round(peak_cpu_cores / per_replica, 9)), 1)


def _keep(new: float | None, old: float) -> float:
    return old if new is None else new
