"""Several charts drawn as the stacked rows of one plotly figure, on one x axis or on their own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dashboard.components import theme
from dashboard.components.theme import Spec, Trace

# Each plotly figure costs Chromium 0.3-0.5 s of CPU to draw whatever its point count (issue
# 19), so charts read together are the rows of one figure, not one figure each.
_TITLE_PX = 26  # a row's title, above it
_X_AXIS_PX = 72  # a row's own x axis under it: ticks, a date axis's year line, its title
_MARGIN_TOP_PX = 84 + _TITLE_PX  # the figure's title and subtitle, then the first row's title
_ROW_TITLE_FONT = {"size": 14, "weight": 600}


@dataclass(frozen=True, slots=True)
class Row:
    """One row: its title (drawn above it), axis titles with their units, the legend group's
    title (None: the row's traces stay out of the legend's groups), its traces (plotly's JSON
    form), its height and any further settings of its x and y axes (e.g. a category order)."""

    title: str
    y_title: str
    traces: tuple[Trace, ...]
    legend_title: str | None = None
    x_title: str = ""
    height_px: int = 170
    x_axis: dict[str, Any] = field(default_factory=dict)
    y_axis: dict[str, Any] = field(default_factory=dict)


def shared_x(rows: Sequence[Row], *, title: str, subtitle: str, x_title: str) -> Spec:
    """`rows` top to bottom on one x axis; hovering an x lists every row's values at it."""
    spec = _stack(rows, title=title, subtitle=subtitle, shared=True, hovermode="x unified")
    return with_layout(spec, {
        "hoversubplots": "axis",  # the unified hover spans every row, not only the hovered one
        "xaxis": {"anchor": _name("y", len(rows) - 1), "title": {"text": x_title}},
        "legend": {"orientation": "v", "x": 1.01, "xanchor": "left", "y": 1.0, "yanchor": "top",
                   "tracegroupgap": 14, "groupclick": "toggleitem", "traceorder": "grouped"},
    })  # fmt: skip


def own_x(rows: Sequence[Row], *, title: str, subtitle: str, hovermode: str = "closest") -> Spec:
    """`rows` top to bottom, each on its own x axis (its own scale and title)."""
    spec = _stack(rows, title=title, subtitle=subtitle, shared=False, hovermode=hovermode)
    return with_layout(spec, {"legend": {"orientation": "v", "x": 1.01, "xanchor": "left",
                                         "y": 1.0, "yanchor": "top"}})  # fmt: skip


def with_layout(spec: Spec, extra: dict[str, Any]) -> Spec:
    """`spec` with `extra` merged into its layout (as update_layout would)."""
    return {**spec, "layout": theme.merged(spec["layout"], extra)}


def _stack(rows: Sequence[Row], *, title: str, subtitle: str, shared: bool, hovermode: str) -> Spec:
    gap_px = _TITLE_PX + (18 if shared else _X_AXIS_PX)
    plot_px = sum(row.height_px for row in rows) + (len(rows) - 1) * gap_px
    bottom_px = _X_AXIS_PX
    layout = theme.layout(
        title=title,
        subtitle=subtitle,
        x_title=rows[0].x_title,
        y_title=rows[0].y_title,
        hovermode=hovermode,
        height=plot_px + _MARGIN_TOP_PX + bottom_px,
    )
    domains = _domains([row.height_px for row in rows], plot_px, gap_px)
    layout = theme.merged(layout, _axes(rows, domains, shared=shared))
    layout = theme.merged(layout, {
        "margin": {"t": _MARGIN_TOP_PX},
        "annotations": [_row_title(row, top) for row, (_, top) in zip(rows, domains, strict=True)],
    })  # fmt: skip
    data = [t for i, row in enumerate(rows) for t in _placed(row, i, shared=shared)]
    return {"data": data, "layout": layout}


def _placed(row: Row, index: int, *, shared: bool) -> list[Trace]:
    """The row's traces on its y axis and its (or the shared) x axis, in one legend group."""
    axes = {"xaxis": "x" if shared else _name("x", index), "yaxis": _name("y", index)}
    if row.legend_title is None:
        return [{**trace, **axes} for trace in row.traces]
    group = {**axes, "legendgroup": _name("y", index)}
    return [
        {**trace, **group, **({"legendgrouptitle": {"text": row.legend_title}} if i == 0 else {})}
        for i, trace in enumerate(row.traces)
    ]


def _axes(
    rows: Sequence[Row], domains: list[tuple[float, float]], *, shared: bool
) -> dict[str, Any]:
    """One y axis per row (top to bottom); one x axis per row, or one for all."""
    layout: dict[str, Any] = {}
    for i, (row, domain) in enumerate(zip(rows, domains, strict=True)):
        x_axis = "x" if shared else _name("x", i)
        layout[_layout_key(_name("y", i))] = {
            "domain": list(domain), "anchor": x_axis, "title": {"text": row.y_title},
            "automargin": True, "rangemode": "tozero", **row.y_axis,
        }  # fmt: skip
        if not shared:
            layout[_layout_key(x_axis)] = {
                "anchor": _name("y", i), "title": {"text": row.x_title}, "automargin": True,
                **row.x_axis,
            }  # fmt: skip
    return layout


def _domains(heights_px: list[int], plot_px: int, gap_px: int) -> list[tuple[float, float]]:
    """Each row's (bottom, top) as fractions of the plot's height, the first row on top."""
    spans, top_px = [], float(plot_px)
    for height_px in heights_px:
        spans.append(((top_px - height_px) / plot_px, top_px / plot_px))
        top_px -= height_px + gap_px
    return spans


def _row_title(row: Row, top: float) -> dict[str, Any]:
    return {
        "text": row.title, "xref": "paper", "yref": "paper", "x": 0.0, "y": top,
        "xanchor": "left", "yanchor": "bottom", "showarrow": False, "font": _ROW_TITLE_FONT,
    }  # fmt: skip


def _name(axis: str, index: int) -> str:
    """The trace-side name of a row's axis: `y`, `y2`, …"""
    return axis if index == 0 else f"{axis}{index + 1}"


def _layout_key(name: str) -> str:
    """The layout-side key of an axis: `y2` → `yaxis2`."""
    return f"{name[0]}axis{name[1:]}"
