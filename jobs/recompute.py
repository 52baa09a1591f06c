"""Fleet recompute: read services and usage, run every rule, upsert the recommendations."""

from __future__ import annotations

import itertools
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session, sessionmaker

from data import outbox_events
from data.kube_sizing import workload_sizings
from data.repos.fleet_usage import load_usage_windows
from data.repos.recommendation_values import PreparedRecommendation, prepare
from data.repos.recommendations import RecommendationWriter, SaveReport
from data.repos.rule_outcomes import save_rule_outcomes
from data.repos.services import configured_fleet
from data.repos.usage import to_datetime64
from data.settings import Settings
from engine import rules
from engine.capacity import CapacityConfig
from engine.catalog import Catalog
from engine.context import ServiceContext
from engine.cost import running_cost, running_mask
from engine.errors import EngineError
from engine.kube.container_lines import WorkloadSizing
from engine.profiles import SizingProfile
from engine.recommendation import Recommendation
from engine.service import Service
from jobs import cluster_eval, fleet_eval
from jobs.cluster import FleetCluster
from jobs.container_recs import with_containers

log = logging.getLogger(__name__)

TEAM_SCOPE_PREFIX = "team:"
# Services in the fleet read's chunks, at least (a cluster's are two of its batches).
FLEET_CHUNK_MIN = 512


@dataclass(frozen=True, slots=True)
class RecomputeReport:
    """What one recompute evaluated, proposed and wrote.

    `recommendations` counts outcome "recommend" by kind, `outcomes` every rule result by
    outcome; `no_recommendation` keeps the reason values (also stored per service and rule in
    `rule_outcome`, which the service page reads).
    """

    services: int
    recommendations: dict[str, int]
    outcomes: dict[str, int]
    saved: SaveReport
    seconds: float
    no_recommendation: tuple[PreparedRecommendation, ...] = field(default=(), repr=False)


@dataclass
class _Tally:
    """The report's counts, kept batch by batch as the results are written."""

    recommendations: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    no_recommendation: list[PreparedRecommendation] = field(default_factory=list)

    def add(self, recs: Sequence[PreparedRecommendation]) -> None:
        self.outcomes.update(rec.outcome for rec in recs)
        self.recommendations.update(rec.kind for rec in recs if rec.outcome == "recommend")
        self.no_recommendation.extend(rec for rec in recs if rec.outcome != "recommend")


def recompute(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    *,
    profile: SizingProfile,
    now: datetime,
    high_value_usd: float | None = None,
    cluster: FleetCluster | None = None,
) -> RecomputeReport:
    """Recompute every active service's recommendations and the teams' commitments.

    One short read transaction (services, current configs, usage for the profile's lookback
    ending at `now`), the pure engine outside any transaction, then one write transaction that
    upserts by key (see `save_recommendations`). Idempotent for the same data and `now`.
    `high_value_usd`: a webhook event, in the same write transaction, for each recommendation
    created or changed saving at least this much a month (None: none).
    `cluster`: a fleet of more than its batch_services is sent to it in batches whose workers
    read their own usage and prepare their results for the write (jobs.cluster_eval); the
    parent sizes the commitments while they run, then writes each batch as its turn comes,
    all in the one write transaction: a failed batch rolls it back, so nothing is written.
    Without one (or for a smaller fleet) the engine runs in-process.
    """
    started = time.perf_counter()
    fleet, batches = _read_and_evaluate(
        sessions, catalog, profile=profile, now=now, cluster=cluster
    )
    with closing(batches):
        start = now - timedelta(days=profile.lookback_days)
        commitments = _team_commitments(fleet, catalog, start=start, end=now)
        tally = _Tally()
        with sessions.begin() as session:
            saved = _write(session, batches, commitments, tally, now=now)
            if high_value_usd is not None:
                outbox_events.recomputed_high_value(
                    session, min_savings_usd=high_value_usd, now=now
                )
    report = RecomputeReport(
        services=len(fleet),
        recommendations=dict(tally.recommendations),
        outcomes=dict(tally.outcomes),
        saved=saved,
        seconds=time.perf_counter() - started,
        no_recommendation=tuple(tally.no_recommendation),
    )
    log.debug("recompute finished: %s", report)  # the caller logs the report at INFO
    return report


def _write(
    session: Session,
    batches: Iterable[tuple[PreparedRecommendation, ...]],
    commitments: tuple[Recommendation, ...],
    tally: _Tally,
    *,
    now: datetime,
) -> SaveReport:
    """Every batch's results and outcomes as it comes, then the commitments; never commits."""
    writer = RecommendationWriter(session, now=now)
    for batch in batches:
        writer.add(batch)
        with session.no_autoflush:  # the live rows' changes wait for `finish`
            save_rule_outcomes(session, batch, now=now)
        tally.add(batch)
    teams = [prepare(rec) for rec in commitments]
    writer.add(teams)
    tally.add(teams)
    return writer.finish()


Pair = tuple[Service, CapacityConfig]
Prepared = Generator[tuple[PreparedRecommendation, ...], None, None]


def _read_and_evaluate(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    *,
    profile: SizingProfile,
    now: datetime,
    cluster: FleetCluster | None,
) -> tuple[list[Pair], Prepared]:
    """The fleet (as `read_fleet` reads it), and every service's results (container rule included)
    prepared for the write, in the fleet's order: on the cluster in batches, each chunk's
    submitted as soon as it is read, so the workers start while the parent reads on (all
    submitted before this returns); or in-process on usage read here, as one batch."""
    with sessions.begin() as session:
        sizings = workload_sizings(session, catalog)
        size = cluster.batch_services if cluster is not None else 0
        # A first chunk of two batches or more tells whether the fleet is worth the cluster.
        chunks = configured_fleet(session, chunk_services=max(2 * size, FLEET_CHUNK_MIN))
        first = next(chunks, [])
        if cluster is not None and len(first) > size:
            fleet: list[Pair] = []
            work = _batches_as_read(
                cluster.settings, itertools.chain([first], chunks), fleet, sizings,
                profile=profile, now=now, size=size,
            )  # fmt: skip
            return fleet, cluster_eval.evaluate_on(cluster, work, catalog)
        fleet = [*first, *itertools.chain.from_iterable(chunks)]
    contexts = _read_contexts(sessions, catalog, fleet, profile=profile, now=now)
    recs = with_containers(fleet_eval.evaluate(contexts), contexts, _of(fleet, sizings))
    return fleet, (batch for batch in [tuple(prepare(rec) for rec in recs)])


def _batches_as_read(
    settings: Settings,
    chunks: Iterable[list[Pair]],
    fleet: list[Pair],
    sizings: Mapping[int, WorkloadSizing],
    *,
    profile: SizingProfile,
    now: datetime,
    size: int,
) -> Iterator[cluster_eval.Batch]:
    """Each chunk's batches as the chunk is read, the chunk appended to `fleet` (the
    commitments are sized on the whole of it once every batch is submitted)."""
    for chunk in chunks:
        fleet.extend(chunk)
        yield from cluster_eval.batches(
            settings, chunk, sizings, profile=profile, now=now, size=size
        )


def read_fleet(
    sessions: sessionmaker[Session], catalog: Catalog
) -> tuple[list[Pair], dict[int, WorkloadSizing]]:
    """Every active service that has a config, with it (by slug, `configured_fleet`); and
    each discovered Kubernetes workload's container sizing (data.kube_sizing), read whole:
    for the tests and benches that run both paths on one fleet (recompute itself reads it in
    chunks, submitting each chunk's batches as it goes)."""
    with sessions.begin() as session:
        sizings = workload_sizings(session, catalog)
        fleet = [pair for chunk in configured_fleet(session) for pair in chunk]
    return fleet, _of(fleet, sizings)


def _of(fleet: Sequence[Pair], sizings: Mapping[int, WorkloadSizing]) -> dict[int, WorkloadSizing]:
    """The container sizings of the fleet's services."""
    ids = {service.id for service, _ in fleet}
    return {sid: sizing for sid, sizing in sizings.items() if sid in ids}


def _read_contexts(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    fleet: cluster_eval.Fleet,
    *,
    profile: SizingProfile,
    now: datetime,
) -> list[ServiceContext]:
    """The fleet's contexts with its usage over the profile's lookback ending at `now`."""
    start = now - timedelta(days=profile.lookback_days)
    with sessions.begin() as session:
        ids = [service.id for service, _ in fleet]
        windows = load_usage_windows(session, ids, start=start, end=now)
    return cluster_eval.make_contexts(fleet, windows, catalog, profile, now)


def _team_commitments(
    fleet: cluster_eval.Fleet, catalog: Catalog, *, start: datetime, end: datetime
) -> tuple[Recommendation, ...]:
    """One commitment recommendation per team, sized on the team's hourly on-demand spend."""
    hours = _hour_grid(start, end)
    spend: defaultdict[str, npt.NDArray[np.float64]] = defaultdict(lambda: np.zeros(len(hours)))
    masks: dict[str, npt.NDArray[np.float64]] = {}  # a fleet has few schedules: each built once
    for service, config in fleet:
        try:
            spend[service.team] += on_demand_usd_per_hour(
                service, config, catalog, hours, masks=masks
            )
        except EngineError as error:
            log.warning("commitment spend skips service %s: %s", service.slug, error)
    discount_pct = catalog.discounts.one_year_pct
    return tuple(
        rules.recommend_commitment(
            f"{TEAM_SCOPE_PREFIX}{team}", spend[team], discount_pct=discount_pct
        )
        for team in sorted(spend)
    )


def on_demand_usd_per_hour(
    service: Service,
    config: CapacityConfig,
    catalog: Catalog,
    hours: npt.NDArray[np.datetime64],
    *,
    masks: dict[str, npt.NDArray[np.float64]] | None = None,
) -> npt.NDArray[np.float64]:
    """A service's on-demand spend in each hour: list rate × uncovered share × running mask
    (`masks`: schedule → its mask over `hours` as 0/1 floats, filled as met, for a caller
    that sums many services over the same hours).

    The rate is `running_cost` (the rate while running), not `config_cost`, which already
    averages the schedule over the week and would count off hours twice with the mask. Spot
    capacity is not commitment-eligible, so only the share neither committed nor spot counts.
    """
    rate = running_cost(config, region=service.region, catalog=catalog).list_usd_per_hour
    uncovered = max(0.0, 1.0 - (config.commitment_coverage_pct + config.spot_pct) / 100.0)
    masks = {} if masks is None else masks
    if config.schedule not in masks:
        masks[config.schedule] = running_mask(config.schedule, hours).astype(np.float64)
    return rate * uncovered * masks[config.schedule]


def _hour_grid(start: datetime, end: datetime) -> npt.NDArray[np.datetime64]:
    """Hour starts in [start, end), UTC datetime64[s]."""
    first = to_datetime64(start).astype("datetime64[h]")
    last = to_datetime64(end).astype("datetime64[h]")
    return np.arange(first, last, np.timedelta64(1, "h")).astype("datetime64[s]")
