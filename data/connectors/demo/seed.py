"""Write the demo fleet (services, configs, usage) and ingest its FOCUS costs, all or nothing."""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.demo.budgets import seed_budgets
from data.connectors.demo.costs import (
    TaggedCost,
    service_daily_costs,
    unallocated_costs,
    write_focus_files,
)
from data.connectors.demo.fleet import DemoService, build_fleet
from data.connectors.demo.history import PlannedChange, joined, plan_changes, split_usage
from data.connectors.demo.shapes import usage_window
from data.connectors.demo.well_sized import fit_well_sized
from data.connectors.focus import AllocationRules, ParsedFile, load_parsed, stage_file
from data.errors import SeedError
from data.repos.bulk import bulk_load
from data.repos.costs import COST_TABLE
from data.repos.recommendations import insert_recommendation
from data.repos.services import add_first_capacities, add_services, count_services
from data.repos.usage import USAGE_TABLE, insert_usage_windows
from data.workflow.apply import apply_recommendation
from engine.catalog import Catalog
from engine.usage import UsageWindow

log = logging.getLogger(__name__)

USAGE_SOURCE = "demo"
COST_SOURCE = "demo-focus"
# The demo's FOCUS rows carry Tags {"service": slug, "team": team}.
DEMO_RULES = AllocationRules(tag_keys=("service",))


@dataclass(frozen=True, slots=True)
class SeedReport:
    """What a seed wrote and how long it took; generation is the time spent outside the database."""

    services: int
    usage_rows: int
    cost_rows: int
    seconds: float
    generation_seconds: float


@dataclass(frozen=True, slots=True)
class _Generated:
    fleet: tuple[DemoService, ...]
    usage: tuple[UsageWindow, ...]
    focus_files: tuple[ParsedFile, ...]  # the costs, exported as FOCUS 1.2 and parsed back
    changes: tuple[PlannedChange, ...] = ()  # applied weeks ago (history=True)


def seed_demo_fleet(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    *,
    seed: int,
    n_services: int,
    days: int,
    end: datetime,
    actor: str = "demo-seed",
    history: bool = False,
) -> SeedReport:
    """Seed `n_services` services with `days` of hourly usage and daily costs ending before `end`.

    One transaction: either everything is written or nothing is. Refuses with SeedError when the
    database already holds services (the caller decides whether to wipe or to keep them).
    """
    report = seed_if_empty(
        sessions,
        catalog,
        seed=seed,
        n_services=n_services,
        days=days,
        end=end,
        actor=actor,
        history=history,
    )
    if report is None:
        raise SeedError("the database already holds services: refusing to seed the demo fleet")
    return report


def seed_if_empty(
    sessions: sessionmaker[Session],
    catalog: Catalog,
    *,
    seed: int,
    n_services: int,
    days: int,
    end: datetime,
    actor: str = "demo-seed",
    history: bool = False,
) -> SeedReport | None:
    """Like `seed_demo_fleet`, but a database that already holds services is left alone (None).

    `history`: also apply a few of the engine's recommendations weeks before `end`, billed
    since on the new config (data/connectors/demo/history.py).
    """
    started = time.perf_counter()
    if _has_services(sessions):  # fail fast, before generating anything
        return None
    generated = _generate(
        catalog, seed=seed, n_services=n_services, days=days, end=end, history=history
    )
    generation_seconds = time.perf_counter() - started
    try:
        with sessions.begin() as session:
            if count_services(session) > 0:  # the authoritative check, inside the transaction
                return None
            start = end - timedelta(days=days)
            usage_rows, cost_rows = _write(session, generated, start=start, end=end, actor=actor)
    except IntegrityError as error:
        # A concurrent seed won the race for the unique slugs; ours rolled back whole.
        raise SeedError(f"demo seed rolled back: {error.orig}") from error
    report = SeedReport(
        services=len(generated.fleet),
        usage_rows=usage_rows,
        cost_rows=cost_rows,
        seconds=time.perf_counter() - started,
        generation_seconds=generation_seconds,
    )
    log.debug("seeded demo fleet: %s", report)  # the caller logs the report at INFO
    return report


def _has_services(sessions: sessionmaker[Session]) -> bool:
    with sessions() as session:
        return count_services(session) > 0


def _generate(
    catalog: Catalog, *, seed: int, n_services: int, days: int, end: datetime, history: bool
) -> _Generated:
    """Everything to write, computed before the transaction opens (ids are filled in later).

    Costs take the production path: written as FOCUS 1.2 CSV files, then read, validated and
    allocated by the FOCUS connector (`stage_file`); the transaction only loads them.
    """
    fleet = build_fleet(catalog, seed=seed, n_services=n_services)
    usage = tuple(usage_window(service, service_id=0, end=end, days=days) for service in fleet)
    # Well-sized services get the config the engine itself would keep on this history.
    fleet = tuple(
        fit_well_sized(service, window, catalog, now=end)
        for service, window in zip(fleet, usage, strict=True)
    )
    changes = plan_changes(fleet, usage, catalog, end=end) if history else ()
    usage, tagged = _costs_with_changes(fleet, usage, changes, catalog)
    unallocated = unallocated_costs([t.cost for t in tagged])
    tagged += [TaggedCost(cost, None, None) for cost in unallocated]
    with tempfile.TemporaryDirectory(prefix="tightrope-demo-focus-") as directory:
        paths = write_focus_files(Path(directory), tagged)
        parsed = tuple(stage_file(path, rules=DEMO_RULES) for path in paths)
    return _Generated(fleet, usage, parsed, changes)


def _costs_with_changes(
    fleet: tuple[DemoService, ...],
    usage: tuple[UsageWindow, ...],
    changes: tuple[PlannedChange, ...],
    catalog: Catalog,
) -> tuple[tuple[UsageWindow, ...], list[TaggedCost]]:
    """Each service's usage and daily costs; a changed service is billed on its old config
    before the change hour and on the billed config from it."""
    by_index = {change.index: change for change in changes}
    windows, tagged = [], []
    for service, window in zip(fleet, usage, strict=True):
        pieces = [(service, window)]
        change = by_index.get(service.index)
        if change is not None:
            target = service.draft.sla.latency_p95_target_ms
            before, after = split_usage(window, change, latency_target_ms=target)
            window = joined(before, after)
            pieces = [(service, before), (replace(service, config=change.billed), after)]
        windows.append(window)
        tagged += [
            TaggedCost(cost, service.draft.slug, service.draft.team)
            for priced, piece in pieces
            for cost in service_daily_costs(priced, piece, catalog=catalog)
        ]
    return tuple(windows), tagged


def _write(
    session: Session, generated: _Generated, *, start: datetime, end: datetime, actor: str
) -> tuple[int, int]:
    """Services, their configs (valid since the window starts), usage, the FOCUS costs, then a
    budget per team."""
    services = add_services(session, [service.draft for service in generated.fleet], now=start)
    configs = [
        (added.id, demo.config) for added, demo in zip(services, generated.fleet, strict=True)
    ]
    add_first_capacities(session, configs, actor=actor, now=start)
    windows = [
        replace(window, service_id=added.id)
        for added, window in zip(services, generated.usage, strict=True)
    ]
    with bulk_load(session.connection(), [USAGE_TABLE, COST_TABLE]):
        usage_rows = insert_usage_windows(session, windows, source=USAGE_SOURCE)
        cost_rows = sum(
            load_parsed(session, parsed, source=COST_SOURCE, now=end).cost_rows
            for parsed in generated.focus_files
        )
    seed_budgets(session, month=end.date(), actor=actor, now=end)  # sized from those costs
    for change in generated.changes:
        _apply_past(session, change, services[change.index].id, actor=actor)
    return usage_rows, cost_rows


def _apply_past(session: Session, change: PlannedChange, service_id: int, *, actor: str) -> None:
    """The recommendation as stored then, applied then, through the workflow's own steps."""
    rec = replace(change.recommendation, service_id=service_id)
    rec_id = insert_recommendation(session, rec, now=change.applied_at)
    apply_recommendation(session, rec_id, expected_version=1, actor=actor, now=change.applied_at)
