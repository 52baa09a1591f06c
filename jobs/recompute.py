"""Fleet recompute: read services and usage, run every rule, upsert the recommendations."""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session, sessionmaker

from data import outbox_events
from data.kube_sizing import workload_sizings
from data.repos.fleet_usage import load_usage_windows
from data.repos.recommendations import SaveReport, save_recommendations
from data.repos.rule_outcomes import save_rule_outcomes
from data.repos.services import current_configs, list_services
from data.repos.usage import to_datetime64
from engine import rules
from engine.catalog import Catalog
from engine.context import ServiceContext
from engine.cost import running_cost, running_mask
from engine.errors import EngineError
from engine.kube.container_lines import WorkloadSizing
from engine.profiles import SizingProfile
from engine.recommendation import Recommendation
from engine.sla import policy_for
from jobs import fleet_eval
from jobs.container_recs import with_containers

log = logging.getLogger(__name__)

TEAM_SCOPE_PREFIX = "team:"


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
    no_recommendation: tuple[Recommendation, ...] = field(default=(), repr=False)


def recompute(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    *,
    profile: SizingProfile,
    now: datetime,
    workers: int = 1,
    high_value_usd: float | None = None,
) -> RecomputeReport:
    """Recompute every active service's recommendations and the teams' commitments.

    One short read transaction (services, current configs, usage for the profile's lookback
    ending at `now`), the pure engine outside any transaction, then one write transaction that
    upserts by key (see `save_recommendations`). Idempotent for the same data and `now`.
    `workers` > 1 spreads the engine over that many processes (jobs.fleet_eval).
    `high_value_usd`: a webhook event, in the same write transaction, for each recommendation
    created or changed saving at least this much a month (None: none).
    """
    started = time.perf_counter()
    contexts, sizings = _read_contexts(sessions, catalog, profile=profile, now=now)
    evaluated = with_containers(fleet_eval.evaluate(contexts, workers=workers), contexts, sizings)
    start = now - timedelta(days=profile.lookback_days)
    commitments = _team_commitments(contexts, catalog, start=start, end=now)
    recs = evaluated + commitments
    with sessions.begin() as session:
        saved = save_recommendations(session, recs, now=now)
        save_rule_outcomes(session, evaluated, now=now)
        if high_value_usd is not None:
            outbox_events.recomputed_high_value(session, min_savings_usd=high_value_usd, now=now)
    report = RecomputeReport(
        services=len(contexts),
        recommendations=dict(Counter(r.kind for r in recs if r.outcome == "recommend")),
        outcomes=dict(Counter(r.outcome for r in recs)),
        saved=saved,
        seconds=time.perf_counter() - started,
        no_recommendation=tuple(r for r in recs if r.outcome != "recommend"),
    )
    log.debug("recompute finished: %s", report)  # the caller logs the report at INFO
    return report


def _read_contexts(
    sessions: sessionmaker[Session], catalog: Catalog, *, profile: SizingProfile, now: datetime
) -> tuple[list[ServiceContext], dict[int, WorkloadSizing]]:
    """Every active service that has a config, with its usage over the profile's lookback; and
    each discovered Kubernetes workload's container sizing (data.kube_sizing)."""
    start = now - timedelta(days=profile.lookback_days)
    with sessions.begin() as session:
        services = list_services(session)
        configs = current_configs(session)
        services = [service for service in services if service.id in configs]
        windows = load_usage_windows(session, [s.id for s in services], start=start, end=now)
        sizings = workload_sizings(session, catalog)
    contexts = [
        ServiceContext(
            service=service,
            config=configs[service.id],
            usage=windows[service.id],
            catalog=catalog,
            profile=profile,
            policy=policy_for(service.policy_class),
            now=now,
        )
        for service in services
    ]
    return contexts, {sid: sizing for sid, sizing in sizings.items() if sid in configs}


def _team_commitments(
    contexts: Sequence[ServiceContext], catalog: Catalog, *, start: datetime, end: datetime
) -> tuple[Recommendation, ...]:
    """One commitment recommendation per team, sized on the team's hourly on-demand spend."""
    hours = _hour_grid(start, end)
    spend: defaultdict[str, npt.NDArray[np.float64]] = defaultdict(lambda: np.zeros(len(hours)))
    for ctx in contexts:
        try:
            spend[ctx.service.team] += on_demand_usd_per_hour(ctx, catalog, hours)
        except EngineError as error:
            log.warning("commitment spend skips service %s: %s", ctx.service.slug, error)
    discount_pct = catalog.discounts.one_year_pct
    return tuple(
        rules.recommend_commitment(
            f"{TEAM_SCOPE_PREFIX}{team}", spend[team], discount_pct=discount_pct
        )
        for team in sorted(spend)
    )


def on_demand_usd_per_hour(
    ctx: ServiceContext, catalog: Catalog, hours: npt.NDArray[np.datetime64]
) -> npt.NDArray[np.float64]:
    """A service's on-demand spend in each hour: list rate × uncovered share × running mask.

    The rate is `running_cost` (the rate while running), not `config_cost`, which already
    averages the schedule over the week and would count off hours twice with the mask. Spot
    capacity is not commitment-eligible, so only the share neither committed nor spot counts.
    """
    config = ctx.config
    rate = running_cost(config, region=ctx.service.region, catalog=catalog).list_usd_per_hour
    uncovered = max(0.0, 1.0 - (config.commitment_coverage_pct + config.spot_pct) / 100.0)
    return rate * uncovered * running_mask(config.schedule, hours).astype(np.float64)


def _hour_grid(start: datetime, end: datetime) -> npt.NDArray[np.datetime64]:
    """Hour starts in [start, end), UTC datetime64[s]."""
    first = to_datetime64(start).astype("datetime64[h]")
    last = to_datetime64(end).astype("datetime64[h]")
    return np.arange(first, last, np.timedelta64(1, "h")).astype("datetime64[s]")
