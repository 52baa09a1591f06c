"""What every job receives: settings, database handles, the catalog and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from data.clock import system_now
from data.connectors.billing_api import PageSource
from data.connectors.prometheus import PrometheusClient
from data.settings import Settings
from engine.catalog import Catalog
from jobs.cluster import FleetCluster


@dataclass(frozen=True, slots=True)
class JobContext:
    """Built once per sidecar process and passed to every run (never a global)."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    catalog: Catalog
    clock: Callable[[], datetime] = system_now
    workers: int = 1
    # The Dask cluster recompute sends big fleets to (None: in-process). The sidecar keeps one
    # for its lifetime, started on first use, and closes it on shutdown (decision 030).
    cluster: FleetCluster | None = None
    # One client per sidecar process, so its circuit breaker remembers failures across runs;
    # None when no Prometheus is configured (the demo fleet feeds itself).
    prometheus: PrometheusClient | None = None
    # The billing REST API; None builds one per refresh_costs run from the settings (hourly
    # runs outlast the breaker's reset timeout, so a per-process breaker would add nothing).
    billing_api: PageSource | None = None

    def current_hour(self) -> datetime:
        """The start of the current UTC hour: windows end there (the hour in progress is open)."""
        return self.clock().astimezone(UTC).replace(minute=0, second=0, microsecond=0)
