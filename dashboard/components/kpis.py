"""The KPI row: 3–5 bordered st.metric cards with units, deltas and optional sparklines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import streamlit as st

DeltaColor = Literal["normal", "inverse", "off"]


@dataclass(frozen=True, slots=True)
class Kpi:
    """One card; `value` and `delta` are already formatted with their units."""

    label: str
    value: str
    delta: str | None = None
    delta_color: DeltaColor = "normal"
    help: str | None = None
    chart_data: tuple[float, ...] | None = None
    delta_arrow: Literal["auto", "up", "down", "off"] = "auto"


def kpi_row(kpis: Sequence[Kpi]) -> None:
    """Cards side by side, each as wide as its label, value and delta need; a card that would
    not fit goes to the next line. Equal-width columns cut text instead ("$1…" on a laptop
    with the sidebar open, where five columns get ~100 px each)."""
    with st.container(horizontal=True, wrap=True, gap="medium"):
        for kpi in kpis:
            st.metric(
                kpi.label,
                kpi.value,
                delta=kpi.delta,
                delta_color=kpi.delta_color,
                help=kpi.help,
                border=True,
                chart_data=list(kpi.chart_data) if kpi.chart_data else None,
                chart_type="area",
                delta_arrow=kpi.delta_arrow,
                width="stretch",
                height="stretch",
            )
