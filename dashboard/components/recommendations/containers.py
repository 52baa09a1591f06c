"""A container recommendation's own parts: the per-container table and the HPA sized with it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.components import formats, tables
from data.repos.stored_recommendations import StoredRecommendation

UNSET = "unset"
# (column, fact, format): requests and limits now and proposed, then what was observed.
_COLUMNS = (
    ("CPU request now", "current_cpu_request_cores", "cores"),
    ("CPU limit now", "current_cpu_limit_cores", "cores"),
    ("Memory request now", "current_memory_request_gib", "gib"),
    ("Memory limit now", "current_memory_limit_gib", "gib"),
    ("CPU request proposed", "proposed_cpu_request_cores", "cores"),
    ("CPU limit proposed", "proposed_cpu_limit_cores", "cores"),
    ("Memory request proposed", "proposed_memory_request_gib", "gib"),
    ("Memory limit proposed", "proposed_memory_limit_gib", "gib"),
    ("p95 CPU observed", "cpu_p95_cores", "cores"),
    ("Max memory observed", "memory_max_gib", "gib"),
)


def show(rec: StoredRecommendation) -> None:
    """The containers table and the HPA part, when the recommendation has them."""
    rows = rec.explanation.fact("containers")
    if not isinstance(rows, list) or not rows:
        return
    with st.container(border=True):
        st.markdown("**Containers: requests and limits now and proposed**")
        tables.grid(container_frame(rows), hide_index=True, key="rec_containers")
        st.caption(formats.escape_markdown(_window_text(rec)))
        hpa = rec.explanation.fact("hpa")
        if isinstance(hpa, Mapping):
            _hpa(hpa)


def container_frame(rows: list[Any]) -> pd.DataFrame:
    """One row per container; unset requests and limits say so (the values are shown as text,
    never as markdown: a container name is the cluster's)."""
    table = []
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        line = {"Container": str(row.get("container", ""))}
        for label, fact, unit in _COLUMNS:
            line[label] = _value(
                row.get(fact), unit, unset=not fact.endswith(("p95_cores", "max_gib"))
            )
        line["Samples"] = f"{int(row.get('samples') or 0):,}"
        line["Note"] = str(row.get("info") or "")
        table.append(line)
    return pd.DataFrame(table)


def hpa_frame(hpa: Mapping[str, Any]) -> pd.DataFrame:
    """minReplicas, maxReplicas and the CPU target, now and proposed."""
    fields = (
        ("minReplicas", "min_replicas", "{:g}"),
        ("maxReplicas", "max_replicas", "{:g}"),
        ("targetCPUUtilizationPercentage", "target_cpu_utilization_pct", "{:g} %"),
    )
    return pd.DataFrame(
        [
            {
                "HPA field": name,
                "Now": pattern.format(hpa.get(f"current_{key}")),
                "Proposed": pattern.format(hpa.get(f"proposed_{key}")),
            }
            for name, key, pattern in fields
        ]
    )


def _hpa(hpa: Mapping[str, Any]) -> None:
    st.markdown("**HorizontalPodAutoscaler, sized with the pod**")
    tables.grid(hpa_frame(hpa), hide_index=True, key="rec_hpa", width="content")
    peak = formats.cores(_float(hpa.get("peak_demand_cores")))
    now, after = _float(hpa.get("mean_replicas_current")), _float(hpa.get("mean_replicas_proposed"))
    st.caption(
        f"Peak demand {peak}: the proposed HPA reaches {int(hpa.get('peak_replicas') or 0)} "
        "replicas at peak, the count the SLA verdict below judges. Mean replicas "
        f"{now:,.1f} now → {after:,.1f} proposed (the HPA scales on usage ÷ request: a smaller "
        "request means more pods, not less CPU reserved)."
    )


def _window_text(rec: StoredRecommendation) -> str:
    hours = _float(rec.explanation.fact("sizing_window_hours"))
    basis = rec.explanation.fact("cost_basis")
    text = (
        f"Per pod and container over the last {hours:,.0f} h: p95 CPU and max memory, the max "
        "over pods (KRR simple's statistics). CPU request = p95 ÷ the SLA's utilization limit, "
        "no CPU limit; memory request = limit = max + 15 %."
    )
    if isinstance(basis, str):
        text += f" Costs are {basis}."
    return text


def _value(value: Any, unit: str, *, unset: bool) -> str:
    if value is None:
        return UNSET if unset else "—"
    return formats.cores(float(value)) if unit == "cores" else formats.gib(float(value))


def _float(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else float("nan")
