"""The demo fleet as a live billing source: month-to-date FOCUS exports restated as hours pass."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.demo.costs import (
    TaggedCost,
    service_daily_costs,
    unallocated_costs,
    write_focus_files,
)
from data.connectors.demo.fleet import DemoService, build_fleet
from data.connectors.demo.seed import COST_SOURCE, DEMO_RULES
from data.connectors.focus import ingest_file
from data.repos.costs import latest_cost_date
from data.repos.fleet_usage import load_usage_windows
from data.repos.services import config_history, list_services
from data.repos.usage import to_datetime64
from engine.capacity import CapacityConfig
from engine.catalog import Catalog
from engine.service import Service
from engine.usage import UsageWindow


def refresh_demo_costs(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    *,
    seed: int,
    n_services: int,
    until: datetime,
) -> int:
    """Export the demo fleet's costs as FOCUS 1.2 files for every billing month from the last
    delivered day's month to `until`'s, from the stored usage and the config in force each
    hour, and ingest them as source "demo-focus". Returns cost rows loaded.

    Rules: a month's new file restates the earlier delivery of the same (billing account,
    billing period) — the FOCUS connector replaces that partition, so nothing is counted twice;
    unchanged content is a no-op; an applied recommendation lowers the cost of the hours after
    it. Does nothing on a database the demo seed did not fill (no "demo-focus" delivery).
    """
    with sessions() as session:
        last_day = latest_cost_date(session, source=COST_SOURCE)
        if last_day is None:
            return 0
        start = datetime(last_day.year, last_day.month, 1, tzinfo=UTC)
        tagged = _month_costs(session, catalog, seed, n_services, start=start, end=until)
    if not tagged:
        return 0
    tagged += [TaggedCost(cost, None, None) for cost in unallocated_costs([t.cost for t in tagged])]
    rows = 0
    with tempfile.TemporaryDirectory(prefix="tightrope-demo-focus-") as directory:
        for path in write_focus_files(Path(directory), tagged):
            report = ingest_file(sessions, path, source=COST_SOURCE, rules=DEMO_RULES, now=until)
            rows += report.cost_rows if report.status == "loaded" else 0
    return rows


def _month_costs(
    session: Session,
    catalog: Catalog,
    seed: int,
    n_services: int,
    *,
    start: datetime,
    end: datetime,
) -> list[TaggedCost]:
    fleet = {d.draft.slug: d for d in build_fleet(catalog, seed=seed, n_services=n_services)}
    services = [s for s in list_services(session) if s.slug in fleet]
    ids = [s.id for s in services]
    windows = load_usage_windows(session, ids, start=start, end=end)
    history = config_history(session, ids, start=start, end=end)
    return [
        tagged
        for service in services
        for tagged in _service_costs(
            service, fleet[service.slug], windows[service.id], history.get(service.id, []), catalog
        )
    ]


def _service_costs(
    service: Service,
    demo: DemoService,
    usage: UsageWindow,
    configs: list[tuple[datetime, CapacityConfig]],
    catalog: Catalog,
) -> list[TaggedCost]:
    """Each run of hours under one config, priced on that config."""
    if usage.points == 0 or not configs:
        return []
    starts = np.array([to_datetime64(since) for since, _ in configs])
    in_force = np.maximum(np.searchsorted(starts, usage.hour_start, side="right") - 1, 0)
    return [
        TaggedCost(cost, service.slug, service.team)
        for index in np.unique(in_force).tolist()
        for cost in service_daily_costs(
            replace(demo, config=configs[index][1]),
            usage.rows(in_force == index),
            catalog=catalog,
        )
    ]
