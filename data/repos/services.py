"""Services and their versioned capacity configs."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from data.errors import NotFound
from data.models import CapacityConfigRow, ServiceRow
from engine.capacity import CapacityConfig
from engine.service import Environment, Platform, PolicyClass, Service, Sla

# Services per chunk of `configured_fleet`: a few of recompute's cluster batches (256), so the
# workers start on the first chunk's batches while the rest of the fleet is read.
FLEET_CHUNK = 1024
# The columns the engine reads, in the order `_fleet_pair` unpacks them.
_FLEET_COLUMNS = (
    ServiceRow.id,
    ServiceRow.slug,
    ServiceRow.name,
    ServiceRow.team,
    ServiceRow.owner,
    ServiceRow.environment,
    ServiceRow.platform,
    ServiceRow.provider,
    ServiceRow.region,
    ServiceRow.policy_class,
    ServiceRow.latency_p95_target_ms,
    ServiceRow.availability_target_pct,
    ServiceRow.max_error_rate_pct,
    CapacityConfigRow.instance_type,
    CapacityConfigRow.replicas,
    CapacityConfigRow.min_replicas,
    CapacityConfigRow.zones,
    CapacityConfigRow.vcpu_per_replica,
    CapacityConfigRow.memory_gib_per_replica,
    CapacityConfigRow.cpu_request_cores,
    CapacityConfigRow.memory_request_gib,
    CapacityConfigRow.commitment_coverage_pct,
    CapacityConfigRow.spot_pct,
    CapacityConfigRow.schedule,
)


@dataclass(frozen=True, slots=True)
class NewService:
    """A service to catalogue, before it has a database id."""

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
    telemetry_selector: dict[str, Any] = field(default_factory=dict)
    allocation_rule: dict[str, Any] = field(default_factory=dict)


def add_services(session: Session, drafts: Sequence[NewService], *, now: datetime) -> list[Service]:
    """Insert services and return them with their ids, in the order given."""
    rows = [_to_row(draft, now) for draft in drafts]
    session.add_all(rows)
    session.flush()
    return [to_service(row) for row in rows]


def list_services(session: Session) -> list[Service]:
    """Every active service, ordered by slug."""
    rows = session.scalars(select(ServiceRow).where(ServiceRow.active).order_by(ServiceRow.slug))
    return [to_service(row) for row in rows]


def get_service(session: Session, service_id: int) -> Service:
    row = session.get(ServiceRow, service_id)
    if row is None:
        raise NotFound(f"service {service_id} does not exist")
    return to_service(row)


def count_services(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ServiceRow)) or 0


def set_capacity(
    session: Session, service_id: int, config: CapacityConfig, *, actor: str, now: datetime
) -> int:
    """Make `config` the current capacity of a service; returns its version number."""
    latest = session.scalar(
        select(func.max(CapacityConfigRow.version)).where(
            CapacityConfigRow.service_id == service_id
        )
    )
    session.execute(
        update(CapacityConfigRow)
        .where(CapacityConfigRow.service_id == service_id, CapacityConfigRow.is_current)
        .values(is_current=False, valid_to=now)
    )
    version = (latest or 0) + 1
    session.add(_config_row(service_id, config, version=version, actor=actor, now=now))
    session.flush()
    return version


def add_first_capacities(
    session: Session,
    configs: Sequence[tuple[int, CapacityConfig]],
    *,
    actor: str,
    now: datetime,
) -> None:
    """Give services that have no config yet their first one (version 1), in one flush: what
    `set_capacity` writes for each, without its per-service queries (a seeded fleet)."""
    session.add_all(
        _config_row(service_id, config, version=1, actor=actor, now=now)
        for service_id, config in configs
    )
    session.flush()


def current_config(session: Session, service_id: int) -> CapacityConfig:
    row = session.scalar(
        select(CapacityConfigRow).where(
            CapacityConfigRow.service_id == service_id, CapacityConfigRow.is_current
        )
    )
    if row is None:
        raise NotFound(f"service {service_id} has no capacity config")
    return to_config(row)


def current_configs(session: Session) -> dict[int, CapacityConfig]:
    """Current config of every service that has one, keyed by service id."""
    rows = session.scalars(select(CapacityConfigRow).where(CapacityConfigRow.is_current))
    return {row.service_id: to_config(row) for row in rows}


def configured_fleet(
    session: Session, *, chunk_services: int = FLEET_CHUNK
) -> Iterator[list[tuple[Service, CapacityConfig]]]:
    """Every active service that has a current config, with it, ordered by slug (as
    `list_services`), in chunks of `chunk_services`: one SELECT of the columns the engine
    reads, streamed, and no ORM object per row, so a caller can start on a chunk while the
    rest is read (a fleet recompute on a cluster, decision 030)."""
    current = and_(CapacityConfigRow.service_id == ServiceRow.id, CapacityConfigRow.is_current)
    query = (
        select(*_FLEET_COLUMNS)
        .join(CapacityConfigRow, current)
        .where(ServiceRow.active)
        .order_by(ServiceRow.slug)
        .execution_options(yield_per=chunk_services)
    )
    for rows in session.execute(query).partitions():
        yield [_fleet_pair(row) for row in rows]


def _fleet_pair(row: Sequence[Any]) -> tuple[Service, CapacityConfig]:
    """A `configured_fleet` row as the engine's values (positional: a fleet has 100,000s)."""
    (id_, slug, name, team, owner, environment, platform, provider, region, policy_class,
     latency_ms, availability_pct, error_pct, instance_type, *config) = row  # fmt: skip
    sla = Sla(latency_ms, availability_pct, error_pct)
    service = Service(id_, slug, name, team, owner, environment, platform, provider, region,
                      policy_class, sla)  # fmt: skip
    (replicas, min_replicas, zones, vcpu, memory_gib, cpu_request_cores, memory_request_gib,
     commitment_pct, spot_pct, schedule) = config  # fmt: skip
    return service, CapacityConfig(
        "vm" if instance_type else "kubernetes", replicas, min_replicas, zones, vcpu,
        memory_gib, instance_type, cpu_request_cores, memory_request_gib, commitment_pct,
        spot_pct, schedule,
    )  # fmt: skip


def to_service(row: ServiceRow) -> Service:
    return Service(
        id=row.id,
        slug=row.slug,
        name=row.name,
        team=row.team,
        owner=row.owner,
        environment=cast(Environment, row.environment),
        platform=cast(Platform, row.platform),
        provider=row.provider,
        region=row.region,
        policy_class=cast(PolicyClass, row.policy_class),
        sla=Sla(
            latency_p95_target_ms=row.latency_p95_target_ms,
            availability_target_pct=row.availability_target_pct,
            max_error_rate_pct=row.max_error_rate_pct,
        ),
    )


def to_config(row: CapacityConfigRow) -> CapacityConfig:
    return CapacityConfig(
        platform="vm" if row.instance_type else "kubernetes",
        replicas=row.replicas,
        min_replicas=row.min_replicas,
        zones=row.zones,
        vcpu_per_replica=row.vcpu_per_replica,
        memory_gib_per_replica=row.memory_gib_per_replica,
        instance_type=row.instance_type,
        cpu_request_cores=row.cpu_request_cores,
        memory_request_gib=row.memory_request_gib,
        commitment_coverage_pct=row.commitment_coverage_pct,
        spot_pct=row.spot_pct,
        schedule=row.schedule,
    )


def _to_row(draft: NewService, now: datetime) -> ServiceRow:
    return ServiceRow(
        slug=draft.slug,
        name=draft.name,
        team=draft.team,
        owner=draft.owner,
        environment=draft.environment,
        platform=draft.platform,
        provider=draft.provider,
        region=draft.region,
        policy_class=draft.policy_class,
        latency_p95_target_ms=draft.sla.latency_p95_target_ms,
        availability_target_pct=draft.sla.availability_target_pct,
        max_error_rate_pct=draft.sla.max_error_rate_pct,
        telemetry_selector=draft.telemetry_selector,
        allocation_rule=draft.allocation_rule,
        active=True,
        created_at=now,
    )


def _config_row(
    service_id: int, config: CapacityConfig, *, version: int, actor: str, now: datetime
) -> CapacityConfigRow:
    return CapacityConfigRow(
        service_id=service_id,
        version=version,
        is_current=True,
        replicas=config.replicas,
        min_replicas=config.min_replicas,
        zones=config.zones,
        instance_type=config.instance_type,
        cpu_request_cores=config.cpu_request_cores,
        memory_request_gib=config.memory_request_gib,
        vcpu_per_replica=config.vcpu_per_replica,
        memory_gib_per_replica=config.memory_gib_per_replica,
        commitment_coverage_pct=config.commitment_coverage_pct,
        spot_pct=config.spot_pct,
        schedule=config.schedule,
        valid_from=now,
        valid_to=None,
        created_by=actor,
    )


def config_history(
    session: Session, service_ids: Collection[int], *, start: datetime, end: datetime
) -> dict[int, list[tuple[datetime, CapacityConfig]]]:
    """Each service's configs in force at some time in [start, end), oldest first, with the
    moment each took effect (what a bill for those hours was charged on)."""
    rows = session.scalars(
        select(CapacityConfigRow)
        .where(
            CapacityConfigRow.service_id.in_(sorted(set(service_ids))),
            CapacityConfigRow.valid_from < end,
            or_(CapacityConfigRow.valid_to.is_(None), CapacityConfigRow.valid_to > start),
        )
        .order_by(CapacityConfigRow.service_id, CapacityConfigRow.valid_from)
    )
    history: dict[int, list[tuple[datetime, CapacityConfig]]] = {}
    for row in rows:
        history.setdefault(row.service_id, []).append((row.valid_from, to_config(row)))
    return history
