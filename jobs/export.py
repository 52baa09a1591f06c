"""`python -m jobs export recommendations`: the backlog as json, yaml or csv (stdout or a file)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import get_args

from data.db import make_engine, make_sessions
from data.exports.recommendations import (
    STATUSES,
    ExportFormat,
    ExportSchema,
    export_recommendations,
)
from data.settings import Settings

log = logging.getLogger("tightrope.jobs")


def run_export(settings: Settings, args: argparse.Namespace) -> int:
    """Build the export in one read transaction and write its bytes; the log goes to stderr,
    so stdout carries the export alone (`> report.csv` or a pipe)."""
    engine = make_engine(settings)
    try:
        with make_sessions(engine)() as session:
            export = export_recommendations(
                session, fmt=args.format, schema=args.schema, statuses=tuple(args.status or ())
            )
    finally:
        engine.dispose()
    if args.output is None:
        sys.stdout.buffer.write(export.content)
        sys.stdout.buffer.flush()
    else:
        Path(args.output).write_bytes(export.content)
    log.info("exported %d recommendations (%s, schema %s) to %s", export.count, args.format,
             args.schema, args.output or "stdout")  # fmt: skip
    return 0


def add_export_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`export recommendations --format json|yaml|csv [--schema ...] [--status ...] [--output]`."""
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
    recs.set_defaults(handler=run_export)
