"""`python -m data discover`: Kubernetes workloads and nodes from the configured Prometheus;
`python -m data export-krr --out FILE [--values krr|proposed]`: container sizing in KRR's JSON.

Exit codes: 0 discovered (the summary says what changed and what was skipped), 2 no Prometheus
configured, Prometheus failing, or no pods found at all (then nothing is stored or retired).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any, TextIO

from data.catalog import load_catalog_for
from data.connectors.kube.discover import DiscoveryReport, discover
from data.connectors.kube.drafts import KubeConfig
from data.connectors.prometheus.client import PrometheusClient
from data.db import make_engine, make_sessions
from data.kube_sizing import krr_export
from data.settings import Settings

log = logging.getLogger("tightrope.cli")
ACTOR = "system:kube-discovery"


def add_kube_commands(commands: Any) -> None:
    parser = commands.add_parser(
        "discover", help="Kubernetes workloads and nodes from kube-state-metrics in Prometheus"
    )
    parser.set_defaults(handler=discover_command)
    export = commands.add_parser(
        "export-krr", help="container sizing of discovered workloads as Robusta KRR's JSON"
    )
    export.add_argument("--out", type=Path, required=True, help="file to write ('-': stdout)")
    export.add_argument(
        "--values", choices=("krr", "proposed"), default="krr",
        help="krr: the KRR-comparable floor (diff it against `krr simple -f json`); "
        "proposed: Tightrope's SLA-targeted requests",
    )  # fmt: skip
    export.set_defaults(handler=export_krr_command)


def export_krr_command(settings: Settings, args: argparse.Namespace) -> int:
    """Write KRR's Result shape for every active discovered workload (0 scans: none yet)."""
    engine = make_engine(settings)
    try:
        with make_sessions(engine)() as session:
            result = krr_export(session, load_catalog_for(settings), values=args.values)
    finally:
        engine.dispose()
    text = json.dumps(result, indent=2, sort_keys=True) + "\n"
    if str(args.out) == "-":
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
    log.info("wrote %d KRR scans (%s values) to %s", len(result["scans"]), args.values, args.out)
    return 0


def discover_command(settings: Settings, _args: argparse.Namespace) -> int:
    if not settings.prometheus_url:
        log.error("TIGHTROPE_PROMETHEUS_URL is not set: discovery reads kube-state-metrics there")
        return 2
    engine = make_engine(settings)
    client = PrometheusClient.from_settings(settings)
    try:
        report = discover(
            make_sessions(engine), client, KubeConfig.from_settings(settings),
            actor=ACTOR, now=settings.clock().now(),
        )  # fmt: skip
    finally:
        client.close()
        engine.dispose()
    print_report(report, sys.stdout)
    return 0


def print_report(report: DiscoveryReport, out: TextIO) -> None:
    """A few lines a person reads: found per kind, changes, each skip and its reason."""
    found = ", ".join(f"{n} {kind}" for kind, n in report.found.items()) or "no workloads"
    out.write(f"discovered {found}; {report.nodes} nodes ({report.queries} queries)\n")
    changed = {k: v for k, v in report.changes.items() if v}
    out.write(f"changes: {changed if changed else 'none'}\n")
    for item in report.skipped:
        out.write(f"skipped {item.what} {item.namespace}/{item.name}: {item.reason}\n")
