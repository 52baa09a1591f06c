"""Recompute's batches on a Dask cluster: each worker reads its own services' usage."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from data.db import make_engine, make_sessions
from data.repos.fleet_usage import load_usage_windows
from data.repos.recommendation_values import PreparedRecommendation, prepare
from data.settings import Settings
from engine.capacity import CapacityConfig
from engine.catalog import Catalog
from engine.context import ServiceContext
from engine.kube.container_lines import WorkloadSizing
from engine.profiles import SizingProfile
from engine.service import Service
from engine.sla import policy_for
from engine.usage import UsageWindow
from jobs import fleet_eval
from jobs.cluster import CLUSTER_BATCH, FleetCluster, stream_batches
from jobs.container_recs import with_containers

Fleet = Sequence[tuple[Service, CapacityConfig]]


@dataclass(frozen=True, slots=True)
class Batch:
    """One task: where the usage lives, whose, and which window. Never usage arrays: the
    services and configs are the parent's snapshot (a few hundred bytes each), so the
    commitments it sizes and the rules the workers run see the same fleet."""

    settings: Settings
    services: tuple[tuple[Service, CapacityConfig], ...]
    sizings: tuple[tuple[int, WorkloadSizing], ...]
    profile: SizingProfile
    now: datetime


def batches(
    settings: Settings,
    fleet: Fleet,
    sizings: Mapping[int, WorkloadSizing],
    *,
    profile: SizingProfile,
    now: datetime,
    size: int = CLUSTER_BATCH,
) -> list[Batch]:
    """The fleet in order, cut into batches of `size` services."""
    out = []
    for start in range(0, len(fleet), size):
        part = tuple(fleet[start : start + size])
        mine = tuple((s.id, sizings[s.id]) for s, _ in part if s.id in sizings)
        out.append(Batch(settings, part, mine, profile, now))
    return out


def evaluate_on(
    cluster: FleetCluster, work: Iterable[Batch], catalog: Catalog
) -> Generator[tuple[PreparedRecommendation, ...], None, None]:
    """Every batch's offered results, prepared for the write, in batch order as they arrive
    (`stream_batches`: each submitted as `work` yields it, all before this returns);
    WorkerFailed (every task cancelled) from the iterator when a batch still fails after its
    retries."""
    return stream_batches(cluster, evaluate_batch, work, catalog, what="a recompute")


def evaluate_batch(batch: Batch, catalog: Catalog) -> tuple[PreparedRecommendation, ...]:
    """On a worker: read the batch's usage, run every rule and the container rule, and encode
    the results as the parent stores them (their keys and evidence JSON), so the parent only
    writes them."""
    start = batch.now - timedelta(days=batch.profile.lookback_days)
    ids = [service.id for service, _ in batch.services]
    # One engine per task: its connection costs milliseconds beside the batch's seconds,
    # and a worker then holds no connection between runs.
    engine = make_engine(batch.settings)
    try:
        with make_sessions(engine).begin() as session:
            windows = load_usage_windows(session, ids, start=start, end=batch.now)
    finally:
        engine.dispose()
    contexts = make_contexts(batch.services, windows, catalog, batch.profile, batch.now)
    recs = with_containers(fleet_eval.evaluate(contexts), contexts, dict(batch.sizings))
    return tuple(prepare(rec) for rec in recs)


def make_contexts(
    fleet: Fleet,
    windows: Mapping[int, UsageWindow],
    catalog: Catalog,
    profile: SizingProfile,
    now: datetime,
) -> list[ServiceContext]:
    """One ServiceContext per (service, config), in the fleet's order."""
    return [
        ServiceContext(
            service=service,
            config=config,
            usage=windows[service.id],
            catalog=catalog,
            profile=profile,
            policy=policy_for(service.policy_class),
            now=now,
        )
        for service, config in fleet
    ]
