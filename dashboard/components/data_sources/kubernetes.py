"""The last Kubernetes discovery: what was found per kind, nodes per instance type, and what
was skipped and why (stored text goes into data frames, or escaped into markdown)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from dashboard.components import formats, tables
from dashboard.components.data_sources.common import ago, export_button, plural, when
from data.repos.kube_summary import DiscoverySummary

NOT_YET = (
    "No Kubernetes discovery yet. With `TIGHTROPE_PROMETHEUS_URL` pointing at a Prometheus "
    "that scrapes kube-state-metrics, the sidecar's discovery job (or `python -m data "
    "discover`) turns each workload into a service."
)
_SKIPPED_COLUMNS = {
    "what": st.column_config.TextColumn("What"),
    "namespace": st.column_config.TextColumn("Namespace"),
    "name": st.column_config.TextColumn("Name"),
    "reason": st.column_config.TextColumn("Why skipped", width="large"),
}


def summary_text(summary: DiscoverySummary, *, now: datetime) -> str:
    """One escaped markdown line: when, the window, totals and what the run changed."""
    workloads = sum(summary.found.values())
    nodes = sum(summary.nodes_by_type.values())
    changed = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in summary.changes.items() if n)
    parts = [
        f"Last run {when(summary.ran_at)} ({ago(summary.ran_at, now=now)}), pods seen in the "
        f"{summary.window_s // 3600} h before it",
        f"{plural(workloads, 'workload')} and {plural(nodes, 'node')} found",
        f"changed: {changed}" if changed else "nothing changed",
        f"{plural(len(summary.skipped), 'item')} skipped",
    ]
    if summary.retired_workloads:
        parts.append(f"{plural(summary.retired_workloads, 'workload')} retired so far")
    return formats.escape_markdown("; ".join(parts) + ".")


def found_frame(summary: DiscoverySummary) -> pd.DataFrame:
    return pd.DataFrame(
        [{"kind": kind, "workloads": n} for kind, n in summary.found.items()],
        columns=["kind", "workloads"],
    )


def nodes_frame(summary: DiscoverySummary) -> pd.DataFrame:
    return pd.DataFrame(
        [{"instance_type": kind, "nodes": n} for kind, n in summary.nodes_by_type.items()],
        columns=["instance_type", "nodes"],
    )


def skipped_frame(summary: DiscoverySummary) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"what": s.what, "namespace": s.namespace, "name": s.name, "reason": s.reason}
            for s in summary.skipped
        ],
        columns=list(_SKIPPED_COLUMNS),
    )


def show_kubernetes(summary: DiscoverySummary | None, *, now: datetime) -> None:
    if summary is None:
        st.info(NOT_YET, icon=":material/deployed_code:")
        return
    st.markdown(summary_text(summary, now=now))
    left, right = st.columns(2)
    with left:
        st.markdown("**Workloads found**, by kind")
        tables.grid(found_frame(summary), hide_index=True, key="ds_kube_found")
    with right:
        st.markdown("**Nodes**, by instance type")
        tables.grid(nodes_frame(summary), hide_index=True, key="ds_kube_nodes")
    skipped = skipped_frame(summary)
    if skipped.empty:
        st.caption("Nothing skipped: every pod belonged to a supported workload.")
        return
    st.markdown("**Skipped**, with the reason")
    tables.grid(skipped, column_config=_SKIPPED_COLUMNS, hide_index=True, key="ds_kube_skipped")
    export_button(skipped, label="Export skipped (CSV)", file_name="tightrope-kube-skipped.csv",
                  key="ds_kube_skipped_export")  # fmt: skip
