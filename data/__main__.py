"""Operator CLI: `python -m data migrate | schema-ready | seed | bootstrap | import-services FILE |
ingest PATH… | billing-api pull --from YYYY-MM --to YYYY-MM | audit verify | discover |
kube-stats`."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from data.cli import Lazy, run

if TYPE_CHECKING:
    from datetime import datetime

    from data.settings import Settings

log = logging.getLogger("tightrope.cli")
CLI_SOURCE = "cli"  # the route `ingest` records unless --source names another


def main(argv: list[str] | None = None) -> int:
    return run(_parser(), argv, log)


def migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from data.migrate import migrate_to_head

    migrate_to_head(settings)
    return 0


def schema_ready(settings: Settings, _args: argparse.Namespace) -> int:
    """Exit 0 when the schema is at head, 1 when not (yet): an app pod's init container waits
    on it while the migrate Job runs, and never migrates itself (it has no owner rights)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from data.db import make_engine
    from data.migrate import alembic_config

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
    from data.catalog import load_catalog_for
    from data.connectors.demo import seed_demo_fleet, seed_if_empty
    from data.db import make_engine, make_sessions
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
    from data.catalog import load_catalog_for
    from data.db import make_engine, make_sessions
    from data.service_catalog import import_services, read_catalog_file

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
    _add_billing_commands(commands)
    _add_audit_commands(commands)
    _add_kube_commands(commands)
    return parser


# The subcommands below run code that imports most of the product (connectors, pandas,
# pyarrow); their handlers are `Lazy`, so only the subcommand that runs imports its module.
def _add_billing_commands(commands: Any) -> None:
    """`ingest` and `billing-api pull` (data/billing_cli.py)."""
    ingest = commands.add_parser(
        "ingest", help="validate and ingest FOCUS files or directories now (decision 011)"
    )
    ingest.add_argument("paths", nargs="+", metavar="PATH", help="files and directories")
    ingest.add_argument("--dry-run", action="store_true", help="validate only: nothing written")
    ingest.add_argument("--source", default=CLI_SOURCE, help="the route recorded (default: cli)")
    ingest.set_defaults(handler=Lazy("data.billing_cli", "ingest_command"))
    api = commands.add_parser("billing-api", help="the billing REST API (docs/billing_api.md)")
    pull = api.add_subparsers(required=True).add_parser("pull", help="back-fill billing months")
    pull.add_argument("--from", dest="first", required=True, metavar="YYYY-MM")
    pull.add_argument("--to", dest="last", required=True, metavar="YYYY-MM")
    pull.set_defaults(handler=Lazy("data.billing_cli", "pull_command"))


def _add_audit_commands(commands: Any) -> None:
    """`audit verify` (data/audit_cli.py)."""
    audit = commands.add_parser("audit", help="the audit trail (docs/database.md)")
    verify = audit.add_subparsers(required=True).add_parser(
        "verify", help="check the hash chain; exit 1 at the first broken link"
    )
    verify.set_defaults(handler=Lazy("data.audit_cli", "verify_command"))


def _add_kube_commands(commands: Any) -> None:
    """`discover`, `export-krr` (data/kube_cli.py) and `kube-stats` (data/kube_stats_cli.py)."""
    parser = commands.add_parser(
        "discover", help="Kubernetes workloads and nodes from kube-state-metrics in Prometheus"
    )
    parser.set_defaults(handler=Lazy("data.kube_cli", "discover_command"))
    export = commands.add_parser(
        "export-krr", help="container sizing of discovered workloads as Robusta KRR's JSON"
    )
    export.add_argument("--out", type=Path, required=True, help="file to write ('-': stdout)")
    export.add_argument(
        "--values", choices=("krr", "proposed"), default="krr",
        help="krr: the KRR-comparable floor (diff it against `krr simple -f json`); "
        "proposed: Tightrope's SLA-targeted requests",
    )  # fmt: skip
    export.set_defaults(handler=Lazy("data.kube_cli", "export_krr_command"))
    stats = commands.add_parser(
        "kube-stats", help="hourly usage and container sizing statistics of discovered workloads"
    )
    stats.set_defaults(handler=Lazy("data.kube_stats_cli", "kube_stats_command"))


if __name__ == "__main__":
    sys.exit(main())
