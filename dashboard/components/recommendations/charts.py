"""The SLA engine's replay of one recommendation: p95 latency and CPU use, now vs proposed."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.components import charts, formats, theme
from dashboard.components.charts import Line
from dashboard.components.page import PageStart
from dashboard.components.recommendations import text
from dashboard.projection import SlaProjection
from dashboard.queries import fleet as queries
from data.errors import WorkerLost
from data.repos.stored_recommendations import StoredRecommendation


def projection_charts(rec: StoredRecommendation, start: PageStart) -> None:
    """Both charts side by side, replayed over the history up to the last usage hour."""
    if rec.sla is None:
        return
    try:
        projection = queries.sla_projection(
            start.sessions, rec.id, rec.version, start.status.usage_end or start.now
        )
    except WorkerLost as error:
        st.error(f"The SLA replay did not finish: {error}", icon=":material/error:")
        return
    if projection is None:
        return
    latency, utilization = st.columns(2)
    with latency:
        _latency_chart(projection)
    with utilization:
        _utilization_chart(projection)


_LATENCY_LINES = (
    Line("latency_current_ms", "Current config", underlay=True),
    Line("latency_proposed_ms", "Proposed config", color=theme.PALETTE[1]),
)


def _latency_chart(projection: SlaProjection) -> None:
    title = "Projected p95 latency: current vs proposed"
    if projection.hourly.empty or not projection.latency_modelled:
        charts.no_data(
            title, f"Latency is not modelled for this service: {projection.note or 'no data'}."
        )
        return
    hourly = projection.hourly
    saturated = [np.isposinf(hourly[line.column].to_numpy()) for line in _LATENCY_LINES]
    drawn = hourly.assign(
        **{line.column: charts.finite_or_gap(hourly[line.column]) for line in _LATENCY_LINES}
    )
    fig = charts.lines(
        drawn,
        x="hour_start",
        series=[
            *_LATENCY_LINES,
            Line("latency_target_ms", "SLA target (p95)", color=theme.TARGET, reference=True),
        ],
        title=text.with_saturated_hours(title, saturated),
        subtitle=(
            f"SLA engine replay of the history; p95 over the hours "
            f"{text.ms(projection.p95_current_ms)} now → "
            f"{text.ms(projection.p95_proposed_ms)} proposed; "
            f"hours over target {projection.breach_hours_current} → "
            f"{projection.breach_hours_proposed}"
        ),
        x_title="Hour (UTC)",
        y_title="p95 latency (ms)",
        hover_value="%{y:,.0f} ms",
    )
    _mark_saturated(fig, drawn, saturated, target_ms=projection.latency_target_ms)
    charts.show(fig, key="rec_latency")


def _mark_saturated(
    fig: go.Figure,
    drawn: pd.DataFrame,
    saturated: list[npt.NDArray[np.bool_]],
    *,
    target_ms: float,
) -> None:
    """Each config's saturated hours (p95 +inf, ρ ≥ 1) as markers on the axis's top edge."""
    if not any(mask.any() for mask in saturated):
        return
    columns = [drawn[line.column] for line in _LATENCY_LINES]
    top = charts.saturation_top(*columns, [target_ms])
    for line, mask in zip(_LATENCY_LINES, saturated, strict=True):
        if mask.any():
            hours = drawn["hour_start"][mask]
            fig.add_trace(
                charts.saturation_marks(
                    list(hours), top=top, text=["p95 unbounded"] * len(hours),
                    name=f"{line.label}: {charts.SATURATED_LABEL.lower()}",
                    color=line.color or theme.PALETTE[0],
                )
            )  # fmt: skip
    fig.update_yaxes(range=[0, charts.SATURATION_RANGE * top])


def _utilization_chart(projection: SlaProjection) -> None:
    title = "Projected CPU utilization: current vs proposed"
    if projection.hourly.empty:
        charts.no_data(title, f"No usage to replay: {projection.note}.")
        return
    fig = charts.lines(
        projection.hourly,
        x="hour_start",
        series=[
            Line("utilization_current_pct", "Current config", underlay=True),
            Line("utilization_proposed_pct", "Proposed config", color=theme.PALETTE[1]),
            Line(
                "saturation_limit_pct",
                f"Saturation limit ({projection.saturation_limit_pct:.0f} %)",
                color=theme.TARGET,
                reference=True,
            ),
        ],
        title=title,
        subtitle=(
            "Hourly p95 CPU ÷ capacity; peak "
            f"{formats.pct(projection.peak_utilization_current_pct)} now → "
            f"{formats.pct(projection.peak_utilization_proposed_pct)} proposed"
        ),
        x_title="Hour (UTC)",
        y_title="CPU utilization (%)",
        hover_value="%{y:,.1f} %",
    )
    charts.show(fig, key="rec_utilization")
