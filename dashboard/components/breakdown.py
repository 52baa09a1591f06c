"""The Overview's breakdown: top services, cost by environment and by platform, one figure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from dashboard.components import charts, formats, panels, theme
from dashboard.components.theme import Spec, Trace
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
) -> Spec | None:  # fmt: skip
    """The parts with cost as the rows of one figure, each on its own money axis (a top
    service's cost and an environment's total differ by orders of magnitude); None if none."""
    value_title = f"Effective cost ({currency})"
    hover = formats.money_hover(currency, axis="x")
    rows = []
    if top.frame is not None:
        ranked, order = charts.ranked_bar_traces(
            top.frame, label=top.label, value="effective_cost", group="team",
            colors=team_colors, hover_value=hover,
        )  # fmt: skip
        rows.append(_row(top, ranked, value_title, order=order))
    for part in (environments, platforms):
        if part.frame is not None:
            bars = charts.bar_trace(
                part.frame, x=part.label, y="effective_cost", hover_value=hover,
                colors={UNALLOCATED: theme.NEUTRAL},
            )  # fmt: skip
            rows.append(_row(part, [bars], value_title, order=None))
    if not rows:
        return None
    subtitle = f"Effective cost in {currency}, {days}; services coloured by team"
    return panels.own_x(rows, title=TITLE, subtitle=subtitle)


def _row(
    part: Part, traces: list[Trace], value_title: str, *, order: list[str] | None
) -> panels.Row:
    """Bar traces as one row, as tall as its bars need; `order` the labels from the bottom bar
    up (None: the traces' own order)."""
    count = len(order) if order else len(traces[0]["y"])
    return panels.Row(
        part.title,
        "",
        tuple(traces),
        x_title=value_title,
        height_px=max(2, count) * _BAR_PX + 20,
        x_axis={"rangemode": "tozero"},
        y_axis={"categoryorder": "array", "categoryarray": list(order)} if order else {},
    )
