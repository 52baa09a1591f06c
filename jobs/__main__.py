"""Sidecar CLI: `python -m jobs run` (the scheduler), `once JOB`, `recompute`, `export ...`,
`simulate-fleet`."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import get_args

from data.cli import Lazy, run
from data.exports.vocabulary import STATUSES, ExportFormat, ExportSchema
from engine.profiles import ProfileName
from jobs.workers import default_workers

log = logging.getLogger("tightrope.jobs")
# The scheduled jobs' names, for `once`'s choices without importing every job (jobs/definitions.py
# imports the connectors); tests/test_cli_start.py holds it equal to default_jobs().
JOB_NAMES = (
    "discover_workloads",
    "collect_usage",
    "collect_workload_stats",
    "rollup_usage",
    "refresh_costs",
    "rollup_costs",
    "recompute",
    "check_budgets",
    "detect_anomalies",
    "expire_stale",
    "prune_webhooks",
)


def main(argv: list[str] | None = None) -> int:
    return run(_parser(), argv, log)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m jobs", description=__doc__)
    # "recompute" is the operator's one-off; "run" is the sidecar; "once" runs one scheduled job.
    commands = parser.add_subparsers(required=True)
    recompute_parser = commands.add_parser("recompute", help="recompute every recommendation")
    recompute_parser.add_argument(
        "--profile", choices=get_args(ProfileName), default="balanced", help="sizing profile"
    )
    recompute_parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="engine processes (default: one per CPU)",
    )
    recompute_parser.set_defaults(handler=Lazy("jobs.commands", "run_recompute"))
    sidecar = commands.add_parser("run", help="run the scheduler until SIGTERM")
    sidecar.add_argument("--workers", type=int, default=default_workers(), help="engine processes")
    sidecar.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="stop when the process that started it dies (make run)",
    )
    sidecar.set_defaults(handler=Lazy("jobs.commands", "run_sidecar"))
    once = commands.add_parser("once", help="run one job once (as the scheduler would)")
    once.add_argument("job", choices=JOB_NAMES)
    once.add_argument("--workers", type=int, default=default_workers(), help="engine processes")
    once.set_defaults(handler=Lazy("jobs.commands", "run_once"))
    _add_export_parser(commands)
    _add_simulate_parser(commands)
    return parser


def _add_export_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`export recommendations --format json|yaml|csv [--schema ...] [--status ...] [--output]`
    (jobs/export.py)."""
    export = commands.add_parser("export", help="export data (machine-readable)")
    what = export.add_subparsers(required=True)
    recs = what.add_parser("recommendations", help="every recommendation, best savings first")
    recs.add_argument("--format", required=True, choices=get_args(ExportFormat))
    recs.add_argument(
        "--schema",
        choices=get_args(ExportSchema),
        default="tightrope",
        help="tightrope (default) or aws-coh: AWS Cost Optimization Hub's fields (docs/exports.md)",
    )
    recs.add_argument(
        "--status",
        action="append",
        choices=STATUSES,
        help="only recommendations in this status (repeat for several; default: all)",
    )
    recs.add_argument("--output", help="write to this file instead of stdout")
    recs.set_defaults(handler=Lazy("jobs.export", "run_export"))


def _add_simulate_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `simulate-fleet` subcommand (jobs/simulate_cli.py)."""
    parser = commands.add_parser(
        "simulate-fleet", help="replay the fleet under a demand growth (who breaks, what it costs)"
    )
    parser.add_argument("--growth-pct", type=float, required=True, help="demand growth, %%")
    parser.add_argument("--team", default=None, help="only this team's services")
    parser.add_argument(
        "--workers", type=int, default=default_workers(), help="engine processes (a local cluster)"
    )
    parser.set_defaults(handler=Lazy("jobs.simulate_cli", "run_simulate_fleet"))


if __name__ == "__main__":
    sys.exit(main())
