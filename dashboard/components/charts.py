"""Parametrised plotly chart builders (pure: frame in, figure out) and their rendering."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.components import formats, theme
from dashboard.components.chart_text import plain_figure, plain_spec
from dashboard.components.theme import Spec, Trace

_PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
SATURATED_LABEL = "Saturated (ρ ≥ 1)"
_TOP_HEADROOM = 1.08  # saturation markers sit this far above the highest finite value
SATURATION_RANGE = 1.04  # × saturation_top, the y axis's top: room for the markers' height


@dataclass(frozen=True, slots=True)
class Line:
    """One series of a line chart; `reference` lines (capacity, SLA target) are dashed.

    `underlay` draws a wide, pale line meant to sit under the next series: where a proposed
    config behaves like the current one, the two coincide and a thin line on top would hide it.
    """

    column: str
    label: str
    color: str | None = None
    reference: bool = False
    underlay: bool = False


def stacked_traces(
    frame: pd.DataFrame,
    *,
    bars: bool = False,
    x: str,
    y: str,
    group: str,
    colors: Mapping[str, str],
    hover_value: str,
) -> list[Trace]:
    """One series per group, for stacking: filled areas (the largest group at the bottom) or,
    with `bars`, bars per x (e.g. cost per day by FOCUS service category)."""
    wide = _wide(frame, x=x, y=y, group=group)
    trace = _stacked_bar if bars else _stacked_area
    return [
        trace(str(name), wide.index, wide[name], colors.get(str(name)), hover_value)
        for name in wide.columns
    ]


def _stacked_area(
    name: str, xs: pd.Index, ys: pd.Series, color: str | None, hover_value: str
) -> Trace:
    return {
        "type": "scatter",
        "x": xs,
        "y": ys,
        "name": name,
        "mode": "lines",
        "stackgroup": "total",
        "showlegend": True,
        "line": {"width": 0.5, "color": color},
        "fillcolor": _translucent(color),
        "hovertemplate": f"{name}: {hover_value}<extra></extra>",
    }


def _stacked_bar(
    name: str, xs: pd.Index, ys: pd.Series, color: str | None, hover_value: str
) -> Trace:
    return {
        "type": "bar",
        "x": xs,
        "y": ys,
        "name": name,
        "marker": {"color": color},
        "hovertemplate": f"{name}: {hover_value}<extra></extra>",
    }


def ranked_bar_traces(
    frame: pd.DataFrame,
    *,
    label: str,
    value: str,
    group: str,
    colors: Mapping[str, str],
    hover_value: str,
) -> tuple[list[Trace], list[str]]:
    """Horizontal bars coloured (and legended) by group, and the labels from the smallest to
    the largest: the category order that puts the largest on top."""
    order = frame.sort_values(value, ascending=True)[label].tolist()
    traces = [
        {
            "type": "bar",
            "x": part[value],
            "y": part[label],
            "name": str(name),
            "orientation": "h",
            "marker": {"color": colors.get(str(name))},
            "hovertemplate": f"%{{y}} ({name}): {hover_value}<extra></extra>",
        }
        for name, part in frame.groupby(group, sort=True)
    ]
    return traces, order


def bar_trace(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    hover_value: str,
    colors: Mapping[str, str] | None = None,
) -> Trace:
    """Horizontal bars, one per row of `frame`, largest on top; `x` labels, `y` values."""
    ordered = frame.sort_values(y, ascending=True)
    keys = [str(v) for v in ordered[x]]
    palette = colors or {}
    return {
        "type": "bar",
        "x": ordered[y],
        "y": keys,
        "orientation": "h",
        "marker": {"color": [palette.get(key, theme.PALETTE[0]) for key in keys]},
        "hovertemplate": f"%{{y}}: {hover_value}<extra></extra>",
        "showlegend": False,
    }


def lines(
    frame: pd.DataFrame,
    *,
    x: str,
    series: Sequence[Line],
    title: str,
    subtitle: str | None = None,
    x_title: str,
    y_title: str,
    hover_value: str,
) -> go.Figure:
    """Measured series as solid lines and references (capacity, targets) as dashed lines."""
    fig = go.Figure(
        [line_trace(frame, x=x, line=line, rank=i, hover_value=hover_value)
         for i, line in enumerate(series)]
    )  # fmt: skip
    return theme.style(
        fig, title=title, subtitle=subtitle, x_title=x_title, y_title=y_title, height=320
    )


def line_trace(frame: pd.DataFrame, *, x: str, line: Line, rank: int, hover_value: str) -> Trace:
    """One series: solid when measured, dashed when a reference; `rank` picks its colour."""
    color = line.color or (theme.NEUTRAL if line.reference else theme.PALETTE[rank])
    if line.underlay:
        color = _translucent(color, alpha=0.45) or color
    return {
        "type": "scatter",
        "x": frame[x],
        "y": frame[line.column],
        "name": line.label,
        "mode": "lines",
        "line": {
            "color": color,
            "width": 5 if line.underlay else 2,
            "dash": "dash" if line.reference else "solid",
        },
        "hovertemplate": f"{line.label}: {hover_value}<extra></extra>",
        "connectgaps": False,
    }


def saturation_top(*values: npt.ArrayLike) -> float:
    """Where saturation markers sit: just above every finite value drawn (1 if there is none)."""
    finite = [np.asarray(v, dtype=np.float64) for v in values]
    highest = max(
        (float(np.max(v[np.isfinite(v)])) for v in finite if np.isfinite(v).any()), default=0.0
    )
    return _TOP_HEADROOM * highest if highest > 0 else 1.0


def saturation_marks(
    x: Sequence[Any],
    *,
    top: float,
    text: Sequence[str],
    name: str = SATURATED_LABEL,
    color: str = theme.TARGET,
) -> go.Scatter:
    """Markers at the top of the y axis, one per saturated x, with `text` on hover.

    Why: a saturated hour (ρ ≥ 1) has no steady state, its p95 is +inf; plotly cannot draw
    +inf and leaves a gap, which reads as "no data" exactly where the service is worst off.
    Give the axis `range=[0, top × SATURATION_RANGE]` so the markers sit on its top edge.
    """
    return go.Scatter(
        x=list(x), y=[top] * len(x), name=name, mode="markers", text=list(text),
        marker={"symbol": "triangle-up", "size": 9, "color": color},
        hovertemplate=f"{name}: %{{text}}<extra></extra>",
    )  # fmt: skip


def finite_or_gap(values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """±inf as NaN (a gap): drawn as markers by saturation_marks instead."""
    array = np.asarray(values, dtype=np.float64)
    shown: npt.NDArray[np.float64] = np.where(np.isfinite(array), array, np.nan)
    return shown


def show(fig: go.Figure | Spec, *, key: str) -> None:
    """Draw `fig`, its stored text (names, scopes, categories) escaped: plotly draws HTML. A
    spec (plotly's JSON form) is validated once, by st.plotly_chart."""
    plain = plain_spec(fig) if isinstance(fig, dict) else plain_figure(fig)
    st.plotly_chart(plain, key=key, config=_PLOTLY_CONFIG)


def no_data(title: str, reason: str) -> None:
    """Keep the chart's place and say, in words, why there is nothing to draw."""
    with st.container(border=True):
        st.markdown(f"**{formats.escape_markdown(title)}**")
        st.info(reason, icon=":material/info:")


def _translucent(color: str | None, alpha: float = 0.85) -> str | None:
    """`#RRGGBB` → rgba with `alpha`: stacked areas stay saturated yet show their edges."""
    if color is None or not color.startswith("#") or len(color) != 7:
        return None
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _wide(frame: pd.DataFrame, *, x: str, y: str, group: str) -> pd.DataFrame:
    wide = frame.pivot_table(index=x, columns=group, values=y, aggfunc="sum", fill_value=0.0)
    totals = wide.sum().sort_values(ascending=False)
    return wide[totals.index]
