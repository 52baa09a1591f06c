"""The KPI row: 3–5 bordered st.metric cards with units, deltas and optional sparklines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd
import streamlit as st

from dashboard.components import formats, sparkline

DeltaColor = Literal["normal", "inverse", "off"]


@dataclass(frozen=True, slots=True)
class Kpi:
    """One card; `value` and `delta` are already formatted with their units. A sparkline has
    one label per point (its hover text: the day and the amount)."""

    label: str
    value: str
    delta: str | None = None
    delta_color: DeltaColor = "normal"
    help: str | None = None
    chart_data: tuple[float, ...] | None = None
    delta_arrow: Literal["auto", "up", "down", "off"] = "auto"
    chart_labels: tuple[str, ...] = ()


def kpi_row(kpis: Sequence[Kpi]) -> None:
    """Cards side by side, each as wide as its label, value and delta need; a card that would
    not fit goes to the next line. Equal-width columns cut text instead ("$1…" on a laptop
    with the sidebar open, where five columns get ~100 px each)."""
    with st.container(horizontal=True, wrap=True, gap="medium"):
        for kpi in kpis:
            if kpi.chart_data:
                _card_with_sparkline(kpi)
            else:
                _metric(kpi, border=True)


def _card_with_sparkline(kpi: Kpi) -> None:
    """The card's border is a container's, holding the metric and our SVG sparkline below
    it: st.metric's own chart_data draws with vega-lite, a ~0.8 MB chunk a first visit loads,
    parses and compiles for this one line (issue 19; decision 031, session 10)."""
    assert kpi.chart_data is not None
    with st.container(border=True, width="stretch", height="stretch", gap=None):
        _metric(kpi, border=False)
        labels = kpi.chart_labels or tuple(f"{v:,.0f}" for v in kpi.chart_data)
        svg = sparkline.svg(kpi.chart_data, labels=labels, tone=_tone(kpi))
        # safe: sparkline.svg makes the markup itself from floats; the labels are html.escape()d
        st.markdown(svg, unsafe_allow_html=True)  # safe: our own SVG, every label escaped


def _metric(kpi: Kpi, *, border: bool) -> None:
    st.metric(
        kpi.label,
        kpi.value,
        delta=kpi.delta,
        delta_color=kpi.delta_color,
        help=kpi.help,
        border=border,
        delta_arrow=kpi.delta_arrow,
        width="stretch",
        height="stretch",
    )


def _tone(kpi: Kpi) -> sparkline.Tone:
    """The sparkline's colour follows the delta's, as st.metric's does: red when the change is
    bad (up with `inverse`, down with `normal`), green when good, grey without a delta."""
    if not kpi.delta or kpi.delta_color == "off":
        return "neutral"
    down = kpi.delta.strip().startswith("-")  # how Streamlit reads a text delta's sign
    good = down if kpi.delta_color == "inverse" else not down
    return "good" if good else "bad"


def daily_money(by_day: pd.Series, currency: str) -> tuple[tuple[float, ...], tuple[str, ...]]:
    """A day-indexed money series as a sparkline's points and their labels (`Nov 12: $1,234`)."""
    return (
        tuple(float(v) for v in by_day.tolist()),
        tuple(f"{day:%b %d}: {formats.money(float(v), currency)}" for day, v in by_day.items()),
    )
