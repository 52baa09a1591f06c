"""Several charts drawn as the stacked rows of one plotly figure that share its x axis."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from dashboard.components import theme

# Each plotly figure costs Chromium 0.3-0.5 s of CPU to draw whatever its point count (issue
# 19), so charts read against the same hours are rows of one figure, not one figure each.
_GAP_PX = 44  # between rows: room for the next row's title
_MARGIN_TOP_PX = 104  # the figure's title, subtitle and the first row's title
_MARGIN_BOTTOM_PX = 48  # the shared x axis's ticks and title
_ROW_TITLE_FONT = {"size": 14, "weight": 600}


@dataclass(frozen=True, slots=True)
class Row:
    """One row: its title (drawn above it), y-axis title with the unit, the legend group's
    title (short: the legend lists every row's series) and its traces."""

    title: str
    y_title: str
    legend_title: str
    traces: tuple[go.Scatter | go.Bar, ...]


def shared_x(
    rows: Sequence[Row],
    *,
    title: str,
    subtitle: str,
    x_title: str,
    row_height_px: int = 170,
) -> go.Figure:
    """`rows` top to bottom on one x axis; hovering an x lists every row's values at it."""
    plot_px = len(rows) * row_height_px + (len(rows) - 1) * _GAP_PX
    fig = go.Figure([trace for i, row in enumerate(rows) for trace in _placed(row, i)])
    theme.style(
        fig,
        title=title,
        subtitle=subtitle,
        x_title=x_title,
        y_title=rows[0].y_title,
        height=plot_px + _MARGIN_TOP_PX + _MARGIN_BOTTOM_PX,
    )
    domains = _domains(len(rows), plot_px, row_height_px)
    fig.update_layout(_axes(rows, domains))
    fig.update_layout(
        margin={"t": _MARGIN_TOP_PX},
        hoversubplots="axis",  # the unified hover spans every row, not only the hovered one
        annotations=[_row_title(row, top) for row, (_, top) in zip(rows, domains, strict=True)],
        legend={"orientation": "v", "x": 1.01, "xanchor": "left", "y": 1.0, "yanchor": "top",
                "tracegroupgap": 14, "groupclick": "toggleitem"},
    )  # fmt: skip
    return fig


def _placed(row: Row, index: int) -> list[go.Scatter | go.Bar]:
    """The row's traces on its own y axis and the shared x, in one legend group."""
    axis = _axis_name(index)
    return [
        trace.update(
            xaxis="x",
            yaxis=axis,
            legendgroup=axis,
            legendgrouptitle_text=row.legend_title if i == 0 else None,
        )
        for i, trace in enumerate(row.traces)
    ]


def _axes(rows: Sequence[Row], domains: list[tuple[float, float]]) -> dict[str, Any]:
    """One y axis per row (top to bottom), the x axis anchored under the last row."""
    layout: dict[str, Any] = {"xaxis": {"anchor": _axis_name(len(rows) - 1), "automargin": True}}
    for i, (row, domain) in enumerate(zip(rows, domains, strict=True)):
        layout[f"yaxis{i + 1 if i else ''}"] = {
            "domain": list(domain), "anchor": "x", "title": {"text": row.y_title},
            "automargin": True, "rangemode": "tozero",
        }  # fmt: skip
    return layout


def _domains(count: int, plot_px: int, row_height_px: int) -> list[tuple[float, float]]:
    """Each row's (bottom, top) as fractions of the plot's height, the first row on top."""
    spans = []
    for i in range(count):
        top_px = plot_px - i * (row_height_px + _GAP_PX)
        spans.append(((top_px - row_height_px) / plot_px, top_px / plot_px))
    return spans


def _row_title(row: Row, top: float) -> dict[str, Any]:
    return {
        "text": row.title, "xref": "paper", "yref": "paper", "x": 0.0, "y": top,
        "xanchor": "left", "yanchor": "bottom", "showarrow": False, "font": _ROW_TITLE_FONT,
    }  # fmt: skip


def _axis_name(index: int) -> str:
    return "y" if index == 0 else f"y{index + 1}"
