"""`python -m jobs simulate-fleet --growth-pct G`: who breaks under a demand growth, fleet-wide."""

from __future__ import annotations

import argparse
import logging
from datetime import timedelta

from data.catalog import load_catalog_for
from data.db import make_engine, make_sessions
from data.errors import NotFound
from data.repos.usage import latest_usage_hour
from data.settings import Settings
from engine.simulation import FleetResult
from jobs import cluster_simulation
from jobs.cluster import cluster_for

log = logging.getLogger("tightrope.jobs")


def run_simulate_fleet(settings: Settings, args: argparse.Namespace) -> int:
    """The fleet (or one team) replayed under the growth, on the cluster when one is
    configured (TIGHTROPE_CLUSTER_ADDRESS) or --workers > 1; the summary goes to stdout."""
    engine = make_engine(settings)
    cluster = None
    try:
        sessions = make_sessions(engine)
        with sessions() as session:
            newest = latest_usage_hour(session)
        if newest is None:
            raise NotFound("no usage data yet: seed the demo fleet or collect usage first")
        # As recompute: the window ends with the newest stored hour, not the wall clock.
        growth = cluster_simulation.Growth(args.growth_pct, newest + timedelta(hours=1))
        fleet = cluster_simulation.read_fleet(sessions, args.team)
        cluster = cluster_for(settings, args.workers)
        catalog = load_catalog_for(settings)
        result = cluster_simulation.simulate(sessions, fleet, growth, catalog, cluster=cluster)
    finally:
        if cluster is not None:
            cluster.close()
        engine.dispose()
    print(summary(result, team=args.team))
    return 0


def summary(result: FleetResult, *, team: str | None) -> str:
    """Totals, then each breaking service with what keeps it whole."""
    lines = [
        f"{'team ' + team if team else 'fleet'} at {result.growth_pct:+g} % demand: "
        f"{len(result.outcomes)} services, {result.breaking_count} break, "
        f"{result.unfixable_count} cannot be kept whole; keeping the rest whole costs "
        f"{result.keep_whole_monthly_usd:,.2f} USD a month"
    ]
    lines.extend(
        f"  {outcome.slug} ({outcome.team}): {outcome.note}"
        for outcome in result.outcomes
        if not outcome.sla_holds
    )
    return "\n".join(lines)
