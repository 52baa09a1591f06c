"""The Overview's breakdown: top services, cost by environment and by platform, one figure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from dashboard.components import charts, formats, panels, theme
from data.repos.fleet import UNALLOCATED

TITLE = "Where the money goes"
TOP_TITLE = "Top 10 services by effective cost"
_BAR_PX = 26  # per bar: a row is as tall as its bars need


@dataclass(frozen=True, slots=True)
class Part:
    """One row of the breakdown: its title, its frame (None: no cost) and why it may be empty."""

    title: str
    frame: pd.DataFrame | None
    missing: str
    label: str  # the frame's column naming each bar


def figure(
    top: Part, environments: Part, platforms: Part, *, currency: str, days: str,
    team_colors: Mapping[str, str],
) -> go.Figure | None:  # fmt: skip
    """The parts with cost as the rows of one figure, each on its own money axis (a top
    service's cost and an environment's total differ by orders of magnitude); None if none."""
    value_title = f"Effective cost ({currency})"
    hover = formats.money_hover(currency, axis="x")
    rows = []
    if top.frame is not None:
        ranked = charts.ranked_bars(
            top.frame, label=top.label, value="effective_cost", group="team",
            colors=team_colors, title=top.title, value_title=value_title, hover_value=hover,
        )  # fmt: skip
        rows.append(_row(top, ranked, value_title))
    for part in (environments, platforms):
        if part.frame is not None:
            bars = charts.bars(
                part.frame, x=part.label, y="effective_cost", title=part.title, x_title="",
                y_title=value_title, hover_value=hover, colors={UNALLOCATED: theme.NEUTRAL},
            )  # fmt: skip
            rows.append(_row(part, bars, value_title))
    if not rows:
        return None
    subtitle = f"Effective cost in {currency}, {days}; services coloured by team"
    return panels.own_x(rows, title=TITLE, subtitle=subtitle)


def _row(part: Part, built: go.Figure, value_title: str) -> panels.Row:
    """A built bar chart's traces and category order as one row."""
    order = built.layout.yaxis.categoryarray
    count = len(order) if order else len(built.data[0].y)
    return panels.Row(
        part.title,
        "",
        tuple(built.data),
        x_title=value_title,
        height_px=max(2, count) * _BAR_PX + 20,
        x_axis={"rangemode": "tozero"},
        y_axis={"categoryorder": "array", "categoryarray": list(order)} if order else {},
    )
