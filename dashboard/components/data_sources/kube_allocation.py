"""Kubernetes allocation per cluster: node cost, allocated, idle and the top workloads.

Modelled dollars (node prices from the catalog, decision 014), shown apart from billed totals
and named as such: they are never added to the Overview's or Services' billed cost.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from dashboard.components import formats, tables
from dashboard.components.data_sources.common import plural
from data.repos.kube_allocation import ClusterAllocation

NOT_YET = (
    "No Kubernetes allocation yet: the sidecar's discovery job computes it once a cluster has "
    "been discovered, from the nodes' catalog prices."
)
BASIS_NOTE = (
    "**Basis: modelled (allocated from node prices)**, not billed. Each cluster's nodes are "
    "priced at the catalog's on-demand rate for their instance type and region; every hour "
    "that cost is split over the workloads by max(request, usage) per resource (OpenCost's "
    "method), and what no workload holds is idle. These dollars are not part of the billed "
    "totals on Overview or Services."
)
_CLUSTER_COLUMNS = {
    "cluster": st.column_config.TextColumn("Cluster"),
    "days": st.column_config.TextColumn("Days"),
    "node_cost_usd": st.column_config.NumberColumn("Node cost (USD)", format="$%.2f"),
    "allocated_usd": st.column_config.NumberColumn("Allocated (USD)", format="$%.2f"),
    "idle_usd": st.column_config.NumberColumn("Idle (USD)", format="$%.2f"),
    "idle_pct": st.column_config.NumberColumn("Idle (%)", format="%.1f%%"),
    "unpriced_node_hours": st.column_config.NumberColumn("Node-hours without a price"),
}
_TOP_COLUMNS = {
    "cluster": st.column_config.TextColumn("Cluster"),
    "workload": st.column_config.TextColumn("Workload (service)"),
    "allocated_usd": st.column_config.NumberColumn("Allocated (USD)", format="$%.2f"),
    "share_pct": st.column_config.NumberColumn("Of node cost (%)", format="%.1f%%"),
}


def clusters_frame(allocations: Sequence[ClusterAllocation]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "cluster": a.cluster,
                "days": f"{a.first_day:%Y-%m-%d} to {a.last_day:%Y-%m-%d}",
                "node_cost_usd": float(a.node_cost_usd),
                "allocated_usd": float(a.allocated_usd),
                "idle_usd": float(a.idle_usd),
                "idle_pct": round(a.idle_pct, 1),
                "unpriced_node_hours": a.unpriced_node_hours,
            }
            for a in allocations
        ],
        columns=list(_CLUSTER_COLUMNS),
    )


def top_frame(allocations: Sequence[ClusterAllocation]) -> pd.DataFrame:
    rows = [
        {
            "cluster": a.cluster,
            "workload": w.name,
            "allocated_usd": float(w.total_usd),
            "share_pct": round(float(w.total_usd / a.node_cost_usd * 100), 1)
            if a.node_cost_usd
            else 0.0,
        }
        for a in allocations
        for w in a.top_workloads
    ]
    return pd.DataFrame(rows, columns=list(_TOP_COLUMNS))


def show_kube_allocation(allocations: Sequence[ClusterAllocation]) -> None:
    if not allocations:
        st.info(NOT_YET, icon=":material/deployed_code:")
        return
    st.markdown(BASIS_NOTE)
    tables.grid(clusters_frame(allocations), column_config=_CLUSTER_COLUMNS, hide_index=True,
                 key="ds_kube_alloc_clusters")  # fmt: skip
    unpriced = sum(a.unpriced_node_hours for a in allocations)
    if unpriced:
        st.warning(formats.escape_markdown(
            f"{plural(unpriced, 'node-hour')} had no catalog price (instance type or region "
            "not in the catalog): counted as capacity, not as cost, so node cost and idle are "
            "understated there."
        ))  # fmt: skip
    overcommitted = sum(a.overcommitted_hours for a in allocations)
    if overcommitted:
        st.caption(
            f"{plural(overcommitted, 'cluster-hour')} overcommitted (workloads held more than "
            "the nodes' capacity): there the cost is split by share and nothing is idle."
        )
    st.markdown("**Top workloads**, by allocated cost")
    tables.grid(top_frame(allocations), column_config=_TOP_COLUMNS, hide_index=True,
                 key="ds_kube_alloc_top")  # fmt: skip
