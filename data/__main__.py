"""Operator CLI: `python -m data migrate | schema-ready | seed | bootstrap | import-services FILE |
ingest PATH… | billing-api pull --from YYYY-MM --to YYYY-MM | audit verify | discover |
kube-stats`."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime
from pathlib import Path

from data.audit_cli import add_audit_commands
from data.billing_cli import add_commands
from data.catalog import load_catalog_for
from data.cli import run
from data.db import make_engine, make_sessions
from data.kube_cli import add_kube_commands
from data.kube_stats_cli import add_kube_stats_commands
from data.migrate import alembic_config, migrate_to_head
from data.service_catalog import import_services, read_catalog_file
from data.settings import Settings

log = logging.getLogger("tightrope.cli")


def main(argv: list[str] | None = None) -> int:
    return run(_parser(), argv, log)


def migrate(settings: Settings, _args: argparse.Namespace) -> int:
    migrate_to_head(settings)
    return 0


def schema_ready(settings: Settings, _args: argparse.Namespace) -> int:
    """Exit 0 when the schema is at head, 1 when not (yet): an app pod's init container waits
    on it while the migrate Job runs, and never migrates itself (it has no owner rights)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    engine = make_engine(settings)
    try:
        heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
    if current != heads:
        log.info("schema at %s, head is %s: run `python -m data migrate`", current or "-", heads)
        return 1
    log.info("database schema is at head")
    return 0


def seed(settings: Settings, args: argparse.Namespace) -> int:
    """Seed the demo fleet; with --if-empty an existing fleet is left alone."""
    from data.connectors.demo import seed_demo_fleet, seed_if_empty
    from data.repos import cost_rollup
    from data.repos.budget_status import refresh_scope_cost_rollup
    from data.repos.usage_rollup import refresh_service_usage_7d

    engine = make_engine(settings)
    sessions = make_sessions(engine)
    catalog = load_catalog_for(settings)
    seeder = seed_if_empty if args.if_empty else seed_demo_fleet
    report = seeder(
        sessions,
        catalog,
        seed=settings.demo_seed,
        n_services=settings.demo_services,
        days=settings.demo_days,
        end=_start_of_today(settings),
        history=True,  # a few changes applied weeks ago: realized savings to show
    )
    if report is not None:  # what the sidecar pre-aggregates for the pages, there at once
        with sessions.begin() as session:
            refresh_service_usage_7d(session, now=settings.clock().now())
            refresh_scope_cost_rollup(session, now=settings.clock().now())
            cost_rollup.refresh(session, now=settings.clock().now())
    engine.dispose()
    if report is None:
        log.info("database already holds services: demo seed skipped")
    else:
        log.info("seeded demo fleet: %s", report)
    return 0


def bootstrap(settings: Settings, args: argparse.Namespace) -> int:
    """Migrate; then, only when TIGHTROPE_DEMO=true (`make run`), seed the demo fleet into an
    empty database. Without it a fresh production database stays empty: a demo fleet there
    would be mistaken for real services."""
    migrate(settings, args)
    if not settings.demo:
        log.info("demo seeding off (TIGHTROPE_DEMO is not true): migrated only")
        return 0
    args.if_empty = True
    return seed(settings, args)


def import_services_command(settings: Settings, args: argparse.Namespace) -> int:
    """Catalogue the services of a JSON catalog file (new slugs only)."""
    engine = make_engine(settings)
    try:
        report = import_services(
            make_sessions(engine),
            read_catalog_file(Path(args.file)),
            load_catalog_for(settings),
            actor=settings.local_actor,
            now=settings.clock().now(),
        )
    finally:
        engine.dispose()
    log.info(
        "imported %d services (%d already catalogued)", len(report.created), len(report.existing)
    )
    return 0


def _start_of_today(settings: Settings) -> datetime:
    # The demo ends at midnight UTC so every day it holds is complete: a partial last day
    # would show as a cost drop in every daily chart and skew the run-rate.
    return settings.clock().now().replace(hour=0, minute=0, second=0, microsecond=0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m data", description=__doc__)
    commands = parser.add_subparsers(required=True)
    commands.add_parser("migrate", help="upgrade the schema to head").set_defaults(handler=migrate)
    commands.add_parser("schema-ready", help="exit 0 when the schema is at head").set_defaults(
        handler=schema_ready
    )
    seed_parser = commands.add_parser("seed", help="write the deterministic demo fleet")
    seed_parser.add_argument("--if-empty", action="store_true", help="skip if services exist")
    seed_parser.set_defaults(handler=seed)
    importer = commands.add_parser("import-services", help="catalogue services from a JSON file")
    importer.add_argument("file", help='catalog file: {"services": [...]} (see README)')
    importer.set_defaults(handler=import_services_command)
    commands.add_parser(
        "bootstrap", help="migrate; seed if empty when TIGHTROPE_DEMO=true"
    ).set_defaults(handler=bootstrap)
    add_commands(commands)
    add_audit_commands(commands)
    add_kube_commands(commands)
    add_kube_stats_commands(commands)
    return parser


if __name__ == "__main__":
    sys.exit(main())
