"""The one chart template and colourway; team and category colours stable across pages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import plotly.graph_objects as go

from data.repos.fleet import UNALLOCATED

# Tableau 10: distinguishable for the common colour-vision deficiencies, readable on light
# and dark backgrounds. Keep in sync with theme.chartCategoricalColors in .streamlit/config.toml.
PALETTE = (
    "#4E79A7",
    "#F28E2B",
    "#59A14F",
    "#B07AA1",
    "#76B7B2",
    "#EDC948",
    "#9C755F",
    "#FF9DA7",
    "#E15759",
    "#BAB0AC",
)
NEUTRAL = "#8A94A3"  # unallocated cost, capacity lines
TARGET = "#D1364A"  # SLA targets and limits (always dashed, always labelled)
# FOCUS ServiceCategory values first, so Compute is blue everywhere.
CATEGORIES = ("Compute", "Storage", "Networking", "Databases", "Other")

LAYOUT: dict[str, Any] = {
    "colorway": list(PALETTE),
    "hovermode": "x unified",
    "legend": {
        "orientation": "h",
        "yanchor": "bottom",
        "y": 1.02,
        "xanchor": "left",
        "x": 0,
        "title": {"text": ""},
    },
    "margin": {"l": 8, "r": 8, "t": 84, "b": 8},
    "title": {"x": 0, "xanchor": "left", "y": 0.98, "yanchor": "top", "font": {"size": 16}},
    "xaxis": {"automargin": True},
    "yaxis": {"automargin": True, "rangemode": "tozero"},
}
# A figure in plotly's JSON form ({"data": [trace, ...], "layout": {...}}, each trace a dict with
# its "type"): what st.plotly_chart validates once. Building go objects instead validates every
# trace, each update_layout and the template again (issue 19: ~0.2 s of the Overview's first run).
Spec = dict[str, Any]
Trace = dict[str, Any]


def stable_colors(keys: Iterable[str]) -> dict[str, str]:
    """Colour per key by its rank in the full sorted list, so a filter never recolours a team."""
    ordered = sorted(set(keys) - {UNALLOCATED})
    colors = {key: PALETTE[i % len(PALETTE)] for i, key in enumerate(ordered)}
    colors[UNALLOCATED] = NEUTRAL
    return colors


def category_colors(categories: Iterable[str]) -> dict[str, str]:
    known = {name: PALETTE[i] for i, name in enumerate(CATEGORIES)}
    extra = sorted(set(categories) - set(known))
    known.update(
        {name: PALETTE[(len(CATEGORIES) + i) % len(PALETTE)] for i, name in enumerate(extra)}
    )
    return known


def style(
    fig: go.Figure,
    *,
    title: str,
    x_title: str,
    y_title: str,
    hovermode: str = "x unified",
    height: int = 360,
    subtitle: str | None = None,
) -> go.Figure:
    """Apply the template and the chart's own titles (units belong in the axis titles): the
    go.Figure form of `layout`, for the charts still built as go objects."""
    return fig.update_layout(
        layout(
            title=title, x_title=x_title, y_title=y_title, hovermode=hovermode,
            height=height, subtitle=subtitle,
        )
    )  # fmt: skip


def layout(
    *,
    title: str,
    x_title: str,
    y_title: str,
    hovermode: str = "x unified",
    height: int = 360,
    subtitle: str | None = None,
) -> dict[str, Any]:
    """A figure's layout as a plain dict: the template, every explicit value of it, and the
    chart's own titles. The values are set explicitly beside the template: Streamlit's chart
    theme swaps the template for its own (light/dark aware) one, and they survive that swap."""
    return {
        "template": {"layout": LAYOUT},
        **LAYOUT,
        "height": height,
        "title": {**LAYOUT["title"], "text": title, "subtitle": {"text": subtitle or ""}},
        "hovermode": hovermode,
        "xaxis": {**LAYOUT["xaxis"], "title": {"text": x_title}},
        "yaxis": {**LAYOUT["yaxis"], "title": {"text": y_title}},
    }


def merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` updated by `extra` as plotly's update_layout does it: dicts merged key by key,
    anything else replaced; neither argument is changed."""
    out = dict(base)
    for key, value in extra.items():
        old = out.get(key)
        out[key] = (
            merged(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
        )
    return out
