"""The demo fleet: a deterministic, realistic set of services, their capacity and their load."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from data.repos.services import NewService
from engine.capacity import CapacityConfig
from engine.catalog import Catalog
from engine.service import PLATFORMS, Environment, Platform, PolicyClass, Sla

Archetype = Literal[
    "well-sized", "over-provisioned", "under-provisioned", "idle", "bursty", "batch"
]
ARCHETYPES: tuple[Archetype, ...] = (
    "well-sized", "over-provisioned", "under-provisioned", "idle", "bursty", "batch",
)  # fmt: skip
_ARCHETYPE_WEIGHTS = (0.35, 0.35, 0.08, 0.10, 0.06, 0.06)
# Per archetype: (peak CPU utilization range, memory utilization range). Peak CPU is the q99 of
# hourly mean CPU / capacity; over-provisioned is 2-4x what a ~0.55 target would need. Well-sized
# stays low enough that its in-hour p95 peaks (bursts ×1.1–1.4) keep under the 0.65 class limit.
_UTILIZATION = {
    "well-sized": ((0.35, 0.50), (0.45, 0.70)),
    "over-provisioned": ((0.10, 0.25), (0.15, 0.35)),
    "under-provisioned": ((0.86, 0.94), (0.60, 0.80)),
    "idle": ((0.004, 0.010), (0.10, 0.30)),
    "bursty": ((0.45, 0.70), (0.30, 0.60)),
    "batch": ((0.65, 0.85), (0.30, 0.60)),
}
# Per policy class: (p95 latency targets in ms, availability %, max error rate %).
_SLAS: dict[PolicyClass, tuple[tuple[float, ...], float, float]] = {
    "latency-critical": ((100.0, 150.0, 200.0), 99.95, 0.5),
    "standard": ((250.0, 300.0, 400.0, 500.0), 99.9, 1.0),
    "batch": ((2000.0,), 99.0, 5.0),
    "dev": ((1000.0,), 99.0, 5.0),
}

TEAMS: dict[str, tuple[str, ...]] = {
    "payments": ("checkout-api", "ledger", "refunds-worker", "fraud-scoring", "invoice-renderer",
                 "payout-scheduler", "card-vault", "billing-events"),
    "search": ("query-api", "indexer", "autocomplete", "ranking", "crawler", "synonyms-service",
               "facets-api"),
    "identity": ("auth-api", "session-store", "sso-gateway", "mfa-service", "user-profile",
                 "token-issuer", "directory-sync"),
    "data-platform": ("ingest-gateway", "etl-runner", "warehouse-loader", "kafka-connect",
                      "schema-registry", "airflow-scheduler", "cdc-streamer", "compactor"),
    "growth": ("experiments-api", "notifications", "email-sender", "referrals",
               "campaign-scheduler", "recommendations-api", "landing-pages"),
    "ml-platform": ("feature-store", "model-serving", "training-orchestrator", "embedding-api",
                    "batch-inference", "model-registry"),
    "core-infra": ("api-gateway", "mesh-control-plane", "metrics-gateway", "log-shipper",
                   "config-server", "dns-cache", "secrets-broker", "artifact-proxy"),
}  # fmt: skip
_TEAM_WEIGHTS = (0.16, 0.14, 0.12, 0.16, 0.14, 0.12, 0.16)
_OWNERS = ("priya.shah", "marco.rossi", "aiko.tanaka", "lena.fischer", "samuel.okafor",
           "ines.garcia", "noah.kim", "fatima.haddad", "jonas.berg", "chloe.martin")  # fmt: skip
_ENVIRONMENTS: tuple[Environment, ...] = ("prod", "staging", "dev")
_ENVIRONMENT_WEIGHTS = (0.55, 0.25, 0.20)
_ACRONYMS = {"api": "API", "mfa": "MFA", "sso": "SSO", "etl": "ETL", "cdc": "CDC", "dns": "DNS"}

# Regions with their UTC offset, so daily peaks land in local business hours.
VM_REGIONS = {"us-east-1": -5, "us-west-2": -8, "eu-west-1": 0, "eu-central-1": 1,
              "ap-southeast-1": 8}  # fmt: skip
_VM_REGION_WEIGHTS = (0.35, 0.20, 0.20, 0.15, 0.10)
K8S_REGIONS = {"us-central1": -6, "us-east4": -5, "europe-west1": 1, "europe-west4": 1,
               "asia-southeast1": 8}  # fmt: skip
_K8S_REGION_WEIGHTS = (0.40, 0.15, 0.25, 0.10, 0.10)
_VM_FAMILIES = ("m5", "m6i", "m6g", "m7g", "c5", "c6i", "c6g", "r5", "r6g", "t3")
_VM_SIZES = {"large": 0.35, "xlarge": 0.35, "2xlarge": 0.20, "4xlarge": 0.10}
_T3_SIZES = {"medium": 0.3, "large": 0.4, "xlarge": 0.3}
_CPU_REQUESTS_CORES = (0.25, 0.5, 1.0, 2.0, 4.0)
_CPU_REQUEST_WEIGHTS = (0.2, 0.3, 0.25, 0.15, 0.1)
_ON_HOURS_SCHEDULES = ("weekdays 07-20", "weekdays 08-19", "weekdays 06-22")
# Fractional parts of the golden ratio, √2 and √3: rationally independent, so evenly spread.
_WEYL_STEPS = (0.6180339887498949, 0.4142135623730951, 0.7320508075688772)
_QUOTA_STREAM = 1_000_003  # keeps quota offsets apart from per-service generators [seed, index]
TEXTURES = (
    "ec2_cpu_utilization_24ae8d", "ec2_cpu_utilization_5f5533", "ec2_cpu_utilization_825cc2",
    "ec2_cpu_utilization_ac20cd", "rds_cpu_utilization_cc0c53", "ec2_network_in_257a54",
    "elb_request_count_8c0756",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LoadProfile:
    """How hard a service works: the knobs `shapes.py` turns into hourly usage."""

    peak_utilization: float  # q99 of hourly mean CPU / capacity, incidents aside
    peak_requests_per_s: float
    base_latency_ms: float  # p95 latency of an unloaded service
    memory_utilization: float  # typical memory max / memory capacity
    growth_pct_per_week: float
    night_floor: float  # night load as a fraction of the daily peak
    weekend_factor: float
    peak_hour_utc: int
    memory_leak_days: float | None  # leak-and-restart period; None for no leak
    texture: str | None  # NAB series borrowed as noise, None for synthetic noise


@dataclass(frozen=True, slots=True)
class DemoService:
    """One demo service: catalogue entry, capacity, load and billing knobs."""

    index: int
    seed: int
    draft: NewService
    config: CapacityConfig
    archetype: Archetype
    load: LoadProfile
    storage_gib: float
    network_usd_per_million_requests: float
    sub_account_id: str


def build_fleet(catalog: Catalog, *, seed: int, n_services: int) -> tuple[DemoService, ...]:
    """`n_services` services; each draws from its own generator, so a fleet extends its prefix."""
    if n_services < 1:
        raise ValueError(f"n_services must be >= 1, got {n_services}")
    taken: set[str] = set()
    fleet = []
    for index in range(n_services):
        service = _draw_service(catalog, seed, index, taken)
        taken.add(service.draft.slug)
        fleet.append(service)
    return tuple(fleet)


def sub_account_id(team: str, platform: Platform) -> str:
    """AWS: one 12-digit account per team; GCP: one project per team."""
    team_number = list(TEAMS).index(team) + 1
    return f"{100_000_000_000 + 1111 * team_number}" if platform == "vm" else f"tr-{team}"


def _draw_service(catalog: Catalog, seed: int, index: int, taken: set[str]) -> DemoService:
    rng = np.random.default_rng([seed, index])
    archetype = ARCHETYPES[_quota(seed, index, 1, _ARCHETYPE_WEIGHTS)]
    draft = _draft(rng, seed, index, archetype, taken)
    config = _config(rng, catalog, draft, archetype)
    return DemoService(
        index=index,
        seed=seed,
        draft=draft,
        config=config,
        archetype=archetype,
        load=_load(rng, draft, archetype),
        storage_gib=float(config.replicas * rng.choice((20, 50, 100, 200, 500))),
        network_usd_per_million_requests=float(rng.uniform(0.02, 0.6)),
        sub_account_id=sub_account_id(draft.team, draft.platform),
    )


def _quota(seed: int, index: int, stream: int, weights: tuple[float, ...]) -> int:
    """A category drawn so that any prefix of the fleet matches `weights` closely.

    Independent draws let 150 services stray from the mix (88 VMs instead of 75); a Weyl sequence
    (index × an irrational, mod 1) from a seeded offset spreads evenly and still depends on nothing
    but (seed, index). Rationally independent steps keep the streams from moving in lockstep.
    """
    offset = np.random.default_rng([seed, _QUOTA_STREAM, stream]).random()
    position = (offset + index * _WEYL_STEPS[stream]) % 1.0
    category = int(np.searchsorted(np.cumsum(weights), position, side="right"))
    return min(category, len(weights) - 1)  # weights summing to 0.999... must not overflow


def _draft(
    rng: np.random.Generator, seed: int, index: int, archetype: Archetype, taken: set[str]
) -> NewService:
    """Catalogue entry: team, environment, placement, owner, SLA, telemetry and billing keys."""
    team = str(rng.choice(list(TEAMS), p=_TEAM_WEIGHTS))
    component = str(rng.choice(TEAMS[team]))
    environment = _ENVIRONMENTS[_quota(seed, index, 0, _ENVIRONMENT_WEIGHTS)]
    platform = PLATFORMS[_quota(seed, index, 2, (0.5, 0.5))]
    regions, weights = (
        (VM_REGIONS, _VM_REGION_WEIGHTS) if platform == "vm" else (K8S_REGIONS, _K8S_REGION_WEIGHTS)
    )
    slug, name = _slug_and_name(team, component, environment, taken)
    policy_class = _policy_class(rng, environment, archetype)
    return NewService(
        slug=slug,
        name=name,
        team=team,
        owner=f"{rng.choice(_OWNERS)}@example.com",
        environment=environment,
        platform=platform,
        provider="aws" if platform == "vm" else "gcp",
        region=str(rng.choice(list(regions), p=weights)),
        policy_class=policy_class,
        sla=_sla(rng, policy_class, environment),
        telemetry_selector=(
            {"job": slug} if platform == "vm" else {"namespace": team, "container": slug}
        ),
        allocation_rule={"tag": "service", "value": slug},
    )


def _slug_and_name(
    team: str, component: str, environment: Environment, taken: set[str]
) -> tuple[str, str]:
    """A unique slug (payments-ledger, payments-ledger-dev, payments-ledger-dev-2) and a title."""
    base = f"{team}-{component}" if environment == "prod" else f"{team}-{component}-{environment}"
    slug, copy = base, 1
    while slug in taken:
        copy += 1
        slug = f"{base}-{copy}"
    words = [_ACRONYMS.get(word, word.capitalize()) for word in component.split("-")]
    name = " ".join(words) + ("" if environment == "prod" else f" ({environment})")
    return slug, name + ("" if copy == 1 else f" #{copy}")


def _policy_class(
    rng: np.random.Generator, environment: Environment, archetype: Archetype
) -> PolicyClass:
    if environment == "dev":
        return "dev"
    if archetype == "batch":
        return "batch"
    if environment == "prod" and rng.random() < 0.35:
        return "latency-critical"
    return "standard"


def _sla(rng: np.random.Generator, policy_class: PolicyClass, environment: Environment) -> Sla:
    targets_ms, availability_pct, max_error_rate_pct = _SLAS[policy_class]
    # Staging keeps prod's latency target but promises no production availability.
    availability_pct = availability_pct if environment == "prod" else min(availability_pct, 99.0)
    return Sla(float(rng.choice(targets_ms)), availability_pct, max_error_rate_pct)


def _config(
    rng: np.random.Generator, catalog: Catalog, draft: NewService, archetype: Archetype
) -> CapacityConfig:
    replicas, min_replicas, zones = _replicas(rng, draft.environment)
    commitment_pct = spot_pct = 0.0
    if archetype == "batch":
        spot_pct = float(rng.choice((30, 50, 80)))
    elif draft.environment == "prod" and draft.platform == "vm" and rng.random() < 0.65:
        commitment_pct = float(rng.choice((10, 20, 30, 40, 50, 60)))
    schedule = "always"
    if draft.environment != "prod" and archetype != "batch" and rng.random() < 0.25:
        schedule = str(rng.choice(_ON_HOURS_SCHEDULES))
    instance_type, vcpu, memory_gib = _size(rng, catalog, draft)
    return CapacityConfig(
        platform=draft.platform,
        replicas=replicas,
        min_replicas=min_replicas,
        zones=zones,
        vcpu_per_replica=vcpu,
        memory_gib_per_replica=memory_gib,
        instance_type=instance_type,
        cpu_request_cores=None if instance_type else vcpu,
        memory_request_gib=None if instance_type else memory_gib,
        commitment_coverage_pct=commitment_pct,
        spot_pct=spot_pct,
        schedule=schedule,
    )


def _replicas(rng: np.random.Generator, environment: Environment) -> tuple[int, int, int]:
    """(replicas, min_replicas, zones): prod mostly >= 2 replicas over >= 2 zones."""
    if environment == "prod":
        replicas = int(rng.integers(2, 13)) if rng.random() < 0.92 else 1
        zones = 1 if rng.random() < 0.08 else min(replicas, int(rng.choice((2, 3))))
        return replicas, min(2, replicas), max(zones, 1)
    replicas = int(rng.integers(1, 5)) if environment == "staging" else int(rng.integers(1, 3))
    return replicas, 1, 1


def _size(
    rng: np.random.Generator, catalog: Catalog, draft: NewService
) -> tuple[str | None, float, float]:
    """(instance type or None, vCPU, memory GiB) of one replica: a catalog VM, or pod requests."""
    if draft.platform == "vm":
        spec = catalog.spec(_instance_type(rng, catalog, draft.region))
        return spec.name, spec.vcpu, spec.memory_gib
    cpu_cores = float(rng.choice(_CPU_REQUESTS_CORES, p=_CPU_REQUEST_WEIGHTS))
    return None, cpu_cores, float(np.clip(cpu_cores * rng.choice((1.0, 2.0, 4.0)), 0.5, 16.0))


def _instance_type(rng: np.random.Generator, catalog: Catalog, region: str) -> str:
    """A current-generation type the catalog prices in the region (the price data has gaps)."""
    names, weights = [], []
    for family in _VM_FAMILIES:
        for size, weight in (_T3_SIZES if family == "t3" else _VM_SIZES).items():
            names.append(f"{family}.{size}")
            weights.append(weight)
    known = np.isin(names, catalog.instance_types.name)
    offered = np.zeros(len(names), dtype=np.bool_)
    offered[known] = ~np.isnan(catalog.on_demand_usd_per_hour(np.array(names)[known], region))
    probabilities = np.array(weights)[offered] / np.sum(np.array(weights)[offered])
    return str(rng.choice(np.array(names)[offered], p=probabilities))


def _load(rng: np.random.Generator, draft: NewService, archetype: Archetype) -> LoadProfile:
    idle = archetype == "idle"
    utc_offset_hours = {**VM_REGIONS, **K8S_REGIONS}[draft.region]
    requests_per_s = 0.02 if idle else float(rng.lognormal(np.log(60.0), 1.2))
    return LoadProfile(
        peak_utilization=float(rng.uniform(*_UTILIZATION[archetype][0])),
        peak_requests_per_s=requests_per_s if archetype != "batch" else requests_per_s / 20,
        base_latency_ms=draft.sla.latency_p95_target_ms * float(rng.uniform(0.3, 0.5)),
        memory_utilization=float(rng.uniform(*_UTILIZATION[archetype][1])),
        growth_pct_per_week=0.0 if idle else float(rng.uniform(0.0, 2.0)),
        night_floor=float(rng.uniform(0.8, 0.95) if idle else rng.uniform(0.25, 0.55)),
        weekend_factor=float(
            rng.uniform(0.55, 0.85) if draft.environment == "prod" else rng.uniform(0.2, 0.5)
        ),
        peak_hour_utc=(int(rng.integers(13, 17)) - utc_offset_hours) % 24,
        memory_leak_days=float(rng.uniform(3, 10)) if rng.random() < 0.2 else None,
        texture=str(rng.choice(TEXTURES)) if rng.random() < 0.4 else None,
    )
