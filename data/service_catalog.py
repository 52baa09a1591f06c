"""The service catalog file: services, their SLAs, telemetry mappings and capacity, as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from data.errors import CatalogFileError
from data.repos.services import NewService, add_services, list_services, set_capacity
from engine.capacity import CapacityConfig
from engine.catalog import Catalog
from engine.errors import EngineError
from engine.service import Sla


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SlaEntry(_Model):
    latency_p95_target_ms: float = Field(gt=0)
    availability_target_pct: float = Field(gt=0, le=100)
    max_error_rate_pct: float = Field(default=1.0, ge=0, le=100)


class CapacityEntry(_Model):
    """VMs name an instance type (its size comes from the pricing catalog); pods their requests."""

    replicas: int = Field(ge=0, le=100_000)
    min_replicas: int = Field(default=1, ge=0, le=100_000)
    zones: int = Field(default=1, ge=1, le=10)
    instance_type: str | None = Field(default=None, max_length=40)
    cpu_request_cores: float | None = Field(default=None, gt=0, le=1024)
    memory_request_gib: float | None = Field(default=None, gt=0, le=16_384)


class ServiceEntry(_Model):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,119}$")
    name: str = Field(min_length=1, max_length=200)
    team: str = Field(min_length=1, max_length=80)
    owner: str = Field(min_length=1, max_length=200)
    environment: Literal["prod", "staging", "dev"]
    platform: Literal["vm", "kubernetes"]
    provider: str = Field(min_length=1, max_length=20)
    region: str = Field(min_length=1, max_length=40)
    policy_class: Literal["latency-critical", "standard", "batch", "dev"] = "standard"
    sla: SlaEntry
    telemetry_selector: dict[str, Any] = Field(default_factory=dict)
    allocation_rule: dict[str, Any] = Field(default_factory=dict)
    capacity: CapacityEntry


class CatalogFile(_Model):
    services: list[ServiceEntry] = Field(max_length=20_000)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did: services created, and slugs already catalogued (left unchanged)."""

    created: tuple[str, ...]
    existing: tuple[str, ...]


def read_catalog_file(path: Path) -> CatalogFile:
    """Parse and validate a catalog file; CatalogFileError names the first problems."""
    try:
        return CatalogFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CatalogFileError(f"{path}: cannot read the service catalog: {error}") from error
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:5]
        )
        raise CatalogFileError(f"{path}: invalid service catalog: {problems}") from error


def import_services(
    sessions: sessionmaker[Session],
    file: CatalogFile,
    catalog: Catalog,
    *,
    actor: str,
    now: datetime,
) -> ImportReport:
    """Catalogue every service whose slug is new, with its current capacity, in one
    transaction (all or nothing); slugs already catalogued are reported and left alone.
    A VM's size comes from the pricing catalog (an unknown type refuses the whole file)."""
    configs = {entry.slug: _config(entry, catalog) for entry in file.services}
    with sessions.begin() as session:
        known = {service.slug for service in list_services(session)}
        new = [entry for entry in file.services if entry.slug not in known]
        added = add_services(session, [_draft(entry) for entry in new], now=now)
        for service in added:
            set_capacity(session, service.id, configs[service.slug], actor=actor, now=now)
    existing = tuple(e.slug for e in file.services if e.slug in known)
    return ImportReport(tuple(s.slug for s in added), existing)


def _draft(entry: ServiceEntry) -> NewService:
    sla = Sla(
        entry.sla.latency_p95_target_ms,
        entry.sla.availability_target_pct,
        entry.sla.max_error_rate_pct,
    )
    return NewService(
        slug=entry.slug, name=entry.name, team=entry.team, owner=entry.owner,
        environment=entry.environment, platform=entry.platform, provider=entry.provider,
        region=entry.region, policy_class=entry.policy_class, sla=sla,
        telemetry_selector=dict(entry.telemetry_selector),
        allocation_rule=dict(entry.allocation_rule),
    )  # fmt: skip


def _config(entry: ServiceEntry, catalog: Catalog) -> CapacityConfig:
    capacity = entry.capacity
    try:
        if entry.platform == "vm":
            spec = catalog.spec(capacity.instance_type or "")
            return CapacityConfig(
                "vm", capacity.replicas, capacity.min_replicas, capacity.zones,
                spec.vcpu, spec.memory_gib, spec.name,
            )  # fmt: skip
        cpu, memory = capacity.cpu_request_cores, capacity.memory_request_gib
        if cpu is None or memory is None:
            raise CatalogFileError(
                f"{entry.slug}: a pod needs cpu_request_cores and memory_request_gib"
            )
        return CapacityConfig(
            "kubernetes", capacity.replicas, capacity.min_replicas, capacity.zones,
            cpu, memory, None, cpu, memory,
        )  # fmt: skip
    except (EngineError, ValueError) as error:
        raise CatalogFileError(f"{entry.slug}: {error}") from error
