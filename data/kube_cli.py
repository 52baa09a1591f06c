"""`python -m data discover`: Kubernetes workloads and nodes from the configured Prometheus.

Exit codes: 0 discovered (the summary says what changed and what was skipped), 2 no Prometheus
configured, Prometheus failing, or no pods found at all (then nothing is stored or retired).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any, TextIO

from data.connectors.kube.discover import DiscoveryReport, discover
from data.connectors.kube.drafts import KubeConfig
from data.connectors.prometheus.client import PrometheusClient
from data.db import make_engine, make_sessions
from data.settings import Settings

log = logging.getLogger("tightrope.cli")
ACTOR = "system:kube-discovery"


def add_kube_commands(commands: Any) -> None:
    parser = commands.add_parser(
        "discover", help="Kubernetes workloads and nodes from kube-state-metrics in Prometheus"
    )
    parser.set_defaults(handler=discover_command)


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
