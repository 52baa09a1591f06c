"""`python -m jobs export recommendations`: the backlog as json, yaml or csv (stdout or a file)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from data.db import make_engine, make_sessions
from data.exports.recommendations import export_recommendations
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
