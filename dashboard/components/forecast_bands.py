"""Forecast line with its 80 % and 95 % bands on a plotly figure, labelled as modelled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import plotly.graph_objects as go

from engine.arrays import FloatArray
from engine.forecast_bands import Bands

FORECAST_NAME = "Forecast (modelled)"
BAND_NAMES = {80: "80 % interval (modelled)", 95: "95 % interval (modelled)"}
# One hue, two strengths: the inner band reads as the likelier one without a legend lookup.
_FILLS = {95: "rgba(99, 110, 250, 0.12)", 80: "rgba(99, 110, 250, 0.28)"}


def add_forecast(
    fig: go.Figure,
    days: Sequence[date],
    point: FloatArray,
    bands: Bands,
    *,
    hover: str,
    anchor: tuple[date, float] | None = None,
) -> None:
    """`traces` added to `fig`."""
    fig.add_traces(traces(days, point, bands, hover=hover, anchor=anchor))


def traces(
    days: Sequence[date],
    point: FloatArray,
    bands: Bands,
    *,
    hover: str,
    anchor: tuple[date, float] | None = None,
) -> list[dict[str, Any]]:
    """The 95 % band, the 80 % band inside it, then the dotted point line over `days`, in
    plotly's JSON form.

    `anchor` (the last actual day and value) starts the line and bands there, so the forecast
    visibly continues the actual series instead of floating beside it.
    """
    x = list(days)
    edges = {
        95: (list(bands.lower95), list(bands.upper95)),
        80: (list(bands.lower80), list(bands.upper80)),
    }
    line = list(point)
    if anchor is not None:
        x = [anchor[0], *x]
        line = [anchor[1], *line]
        edges = {k: ([anchor[1], *lo], [anchor[1], *hi]) for k, (lo, hi) in edges.items()}
    drawn: list[dict[str, Any]] = []
    for level, (low, high) in edges.items():
        name = BAND_NAMES[level]
        drawn.append({
            "type": "scatter", "x": x, "y": high, "mode": "lines", "line": {"width": 0},
            "name": name, "legendgroup": name, "showlegend": False, "hovertemplate": hover,
        })  # fmt: skip
        drawn.append({
            "type": "scatter", "x": x, "y": low, "mode": "lines", "line": {"width": 0},
            "fill": "tonexty", "fillcolor": _FILLS[level], "name": name, "legendgroup": name,
            "hovertemplate": hover,
        })  # fmt: skip
    drawn.append({
        "type": "scatter", "x": x, "y": line, "name": FORECAST_NAME, "mode": "lines",
        "line": {"dash": "dot"}, "hovertemplate": hover,
    })  # fmt: skip
    return drawn
