"""Write the demo fleet (services, configs, usage) and ingest its FOCUS costs, all or nothing."""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.demo.budgets import seed_budgets
from data.connectors.demo.cost_rows import unallocated_rows
from data.connectors.demo.costs import daily_cost_arrays, fleet_cost_rows
from data.connectors.demo.fleet import DemoService, build_fleet
from data.connectors.demo.focus_export import write_cost_rows
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
class _Planned:
    """The fleet and its hourly usage, computed before the transaction opens (ids later)."""

    fleet: tuple[DemoService, ...]
    usage: tuple[UsageWindow, ...]  # as written: a changed service's joined before/after
    pieces: tuple[tuple[tuple[DemoService, UsageWindow], ...], ...]  # what each is billed on
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
    planned = _plan(catalog, seed=seed, n_services=n_services, days=days, end=end, history=history)
    clock = _Stopwatch(time.perf_counter() - started)
    try:
        with sessions.begin() as session:
            if count_services(session) > 0:  # the authoritative check, inside the transaction
                return None
            start = end - timedelta(days=days)
            usage_rows, cost_rows = _write(
                session, planned, catalog, clock, start=start, end=end, actor=actor
            )
    except IntegrityError as error:
        # A concurrent seed won the race for the unique slugs; ours rolled back whole.
        raise SeedError(f"demo seed rolled back: {error.orig}") from error
    report = SeedReport(
        services=len(planned.fleet),
        usage_rows=usage_rows,
        cost_rows=cost_rows,
        seconds=time.perf_counter() - started,
        generation_seconds=clock.seconds,
    )
    log.debug("seeded demo fleet: %s", report)  # the caller logs the report at INFO
    return report


@dataclass(slots=True)
class _Stopwatch:
    """Seconds spent generating, before the transaction and (costs) inside it."""

    seconds: float

    @contextmanager
    def timing(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - started


def _has_services(sessions: sessionmaker[Session]) -> bool:
    with sessions() as session:
        return count_services(session) > 0


def _plan(
    catalog: Catalog, *, seed: int, n_services: int, days: int, end: datetime, history: bool
) -> _Planned:
    """The fleet, its usage, the configs the engine would keep, the past changes."""
    fleet = build_fleet(catalog, seed=seed, n_services=n_services)
    usage = tuple(usage_window(service, service_id=0, end=end, days=days) for service in fleet)
    # Well-sized services get the config the engine itself would keep on this history.
    fleet = tuple(
        fit_well_sized(service, window, catalog, now=end)
        for service, window in zip(fleet, usage, strict=True)
    )
    changes = plan_changes(fleet, usage, catalog, end=end) if history else ()
    by_index = {change.index: change for change in changes}
    windows: list[UsageWindow] = []
    pieces: list[tuple[tuple[DemoService, UsageWindow], ...]] = []
    for service, window in zip(fleet, usage, strict=True):
        change = by_index.get(service.index)
        if change is None:
            windows.append(window)
            pieces.append(((service, window),))
            continue
        # Billed on its old config before the change hour and on the billed config from it.
        target = service.draft.sla.latency_p95_target_ms
        before, after = split_usage(window, change, latency_target_ms=target)
        windows.append(joined(before, after))
        pieces.append(((service, before), (replace(service, config=change.billed), after)))
    return _Planned(fleet, tuple(windows), tuple(pieces), changes)


def _cost_files(planned: _Planned, catalog: Catalog) -> tuple[ParsedFile, ...]:
    """The fleet's daily costs through the production path: written as FOCUS 1.2 CSV files,
    then read, validated and allocated by the FOCUS connector (`stage_file`). Priced as
    columns, service by service (no record per row: 360k rows at 1,000 services)."""
    priced, owner = [], []
    for index, pieces in enumerate(planned.pieces):
        priced += [daily_cost_arrays(p, piece, catalog=catalog) for p, piece in pieces]
        owner += [index] * len(pieces)
    owners = [(service.draft.slug, service.draft.team) for service in planned.fleet]
    rows = fleet_cost_rows(priced, owner, owners)
    rows = rows.appended(unallocated_rows(rows))
    with tempfile.TemporaryDirectory(prefix="tightrope-demo-focus-") as directory:
        paths = write_cost_rows(Path(directory), rows)
        return tuple(stage_file(path, rules=DEMO_RULES) for path in paths)


def _write(
    session: Session,
    planned: _Planned,
    catalog: Catalog,
    clock: _Stopwatch,
    *,
    start: datetime,
    end: datetime,
    actor: str,
) -> tuple[int, int]:
    """Services, their configs (valid since the window starts), usage, the FOCUS costs, then a
    budget per team."""
    services = add_services(session, [service.draft for service in planned.fleet], now=start)
    configs = [(added.id, demo.config) for added, demo in zip(services, planned.fleet, strict=True)]
    add_first_capacities(session, configs, actor=actor, now=start)
    windows = [
        replace(window, service_id=added.id)
        for added, window in zip(services, planned.usage, strict=True)
    ]
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        with bulk_load(connection, [COST_TABLE]):
            usage_rows, focus_files = _overlapped(session, windows, planned, catalog, clock)
            cost_rows = _load_costs(session, focus_files, end=end)
    else:
        with bulk_load(connection, [USAGE_TABLE, COST_TABLE]):
            # In turn: executemany binds each row under the interpreter lock, and pysqlite's
            # connection belongs to this thread.
            usage_rows = insert_usage_windows(session, windows, source=USAGE_SOURCE)
            with clock.timing():
                focus_files = _cost_files(planned, catalog)
            cost_rows = _load_costs(session, focus_files, end=end)
    seed_budgets(session, month=end.date(), actor=actor, now=end)  # sized from those costs
    for change in planned.changes:
        _apply_past(session, change, services[change.index].id, actor=actor)
    return usage_rows, cost_rows


def _overlapped(
    session: Session,
    windows: list[UsageWindow],
    planned: _Planned,
    catalog: Catalog,
    clock: _Stopwatch,
) -> tuple[int, tuple[ParsedFile, ...]]:
    """The usage COPY, and its keys and index made again, in a thread while this one
    generates the costs: the server works through the rows and builds the index on the
    other core (the thread waits on the socket, not on the interpreter). Leaving the
    executor waits for the thread, also when the costs fail."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="seed-copy") as writer:
        usage = writer.submit(_load_usage, session, windows)
        with clock.timing():
            focus_files = _cost_files(planned, catalog)
        return usage.result(), focus_files


def _load_usage(session: Session, windows: list[UsageWindow]) -> int:
    with bulk_load(session.connection(), [USAGE_TABLE]):
        return insert_usage_windows(session, windows, source=USAGE_SOURCE)


def _load_costs(session: Session, focus_files: tuple[ParsedFile, ...], *, end: datetime) -> int:
    return sum(
        load_parsed(session, parsed, source=COST_SOURCE, now=end).cost_rows
        for parsed in focus_files
    )


def _apply_past(session: Session, change: PlannedChange, service_id: int, *, actor: str) -> None:
    """The recommendation as stored then, applied then, through the workflow's own steps."""
    rec = replace(change.recommendation, service_id=service_id)
    rec_id = insert_recommendation(session, rec, now=change.applied_at)
    apply_recommendation(session, rec_id, expected_version=1, actor=actor, now=change.applied_at)
