"""`python -m data kube-stats`: hourly usage and per-container sizing statistics of the
discovered Kubernetes workloads, from the configured Prometheus (run after `discover`).

Exit codes: 0 every workload refreshed, 1 partial (the summary says "partial: N of M" and
which services failed; they keep what they had), 2 no Prometheus configured or failing.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TextIO

from data.connectors.kube.runs import StatsConfig, StatsReport
from data.connectors.kube.sizing import collect_sizing
from data.connectors.kube.workload_usage import collect_workload_usage
from data.errors import TelemetryError
from data.kube_cli import prometheus_and_database
from data.settings import Settings

log = logging.getLogger("tightrope.cli")


def kube_stats_command(settings: Settings, _args: argparse.Namespace) -> int:
    config = StatsConfig.from_settings(settings)
    now = settings.clock().now()
    with prometheus_and_database(settings, "workload statistics are read there") as opened:
        if opened is None:
            return 2
        sessions, client = opened
        try:
            reports = [
                ("hourly usage", collect_workload_usage(sessions, client, now=now, config=config)),
                ("sizing", collect_sizing(sessions, client, now=now, config=config)),
            ]
        except TelemetryError as error:
            log.error("workload statistics failed, nothing stored: %s", error)
            return 2
    for name, report in reports:
        print_report(name, report, sys.stdout)
    return 0 if all(r.status == "success" for _, r in reports) else 1


def print_report(name: str, report: StatsReport, out: TextIO) -> None:
    out.write(
        f"{name}: {report.status}; {report.services_written} of {report.services} services, "
        f"{report.rows_written} rows; {report.queries} queries in {report.shards} shards, "
        f"{report.bytes_received} bytes; scrape interval {report.interval_s} s\n"
    )
    for issue in report.issues:
        out.write(f"  {issue.kind} {issue.slug}: {issue.reason}\n")
