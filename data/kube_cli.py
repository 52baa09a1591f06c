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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog_for
from data.connectors.kube.discover import DiscoveryReport, discover
from data.connectors.kube.drafts import KubeConfig
from data.connectors.prometheus.client import PrometheusClient
from data.db import make_engine, make_sessions
from data.kube_sizing import krr_export
from data.settings import Settings

log = logging.getLogger("tightrope.cli")
ACTOR = "system:kube-discovery"


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
    with prometheus_and_database(settings, "discovery reads kube-state-metrics there") as opened:
        if opened is None:
            return 2
        sessions, client = opened
        report = discover(
            sessions, client, KubeConfig.from_settings(settings), actor=ACTOR,
            now=settings.clock().now(),
        )  # fmt: skip
    print_report(report, sys.stdout)
    return 0


@contextmanager
def prometheus_and_database(
    settings: Settings, why: str
) -> Iterator[tuple[sessionmaker[Session], PrometheusClient] | None]:
    """The configured Prometheus and database for one command, closed after it; None (with
    the reason logged) when no Prometheus is configured."""
    if not settings.prometheus_url:
        log.error("TIGHTROPE_PROMETHEUS_URL is not set: %s", why)
        yield None
        return
    engine = make_engine(settings)
    client = PrometheusClient.from_settings(settings)
    try:
        yield make_sessions(engine), client
    finally:
        client.close()
        engine.dispose()


def print_report(report: DiscoveryReport, out: TextIO) -> None:
    """A few lines a person reads: found per kind, changes, each skip and its reason."""
    found = ", ".join(f"{n} {kind}" for kind, n in report.found.items()) or "no workloads"
    out.write(f"discovered {found}; {report.nodes} nodes ({report.queries} queries)\n")
    changed = {k: v for k, v in report.changes.items() if v}
    out.write(f"changes: {changed if changed else 'none'}\n")
    for item in report.skipped:
        out.write(f"skipped {item.what} {item.namespace}/{item.name}: {item.reason}\n")
