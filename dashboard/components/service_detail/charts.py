"""Service detail charts: cost per day by category, usage against capacity and the SLA."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard.components import charts, formats, theme
from dashboard.components.charts import Line
from engine.service import Service


def cost_chart(costs: pd.DataFrame, currency: str | None, range_text: str) -> None:
    """Cost per day, stacked by FOCUS category, in the service's billing currency."""
    title = "Cost per day by category"
    frame = costs[costs["billing_currency"] == currency]
    if frame.empty or currency is None:
        charts.no_data(title, f"No cost was allocated to this service from {range_text}.")
        return
    fig = charts.stacked(
        frame,
        bars=True,
        x="charge_date",
        y="effective_cost",
        group="service_category",
        colors=theme.category_colors(frame["service_category"]),
        title=title,
        subtitle=f"Effective cost in {currency}, stacked by FOCUS service category",
        x_title="Charge date (UTC)",
        y_title=formats.money_axis(currency, "day"),
        hover_value=formats.money_hover(currency, decimals=2),
    )
    charts.show(fig, key="detail_cost")


@dataclass(frozen=True, slots=True)
class UsageChart:
    """One usage chart: its widget key, titles, hover format and lines; `sli` names the SLI
    whose absence the empty chart explains (None: no samples at all is the only reason)."""

    key: str
    title: str
    y_title: str
    hover_value: str
    series: tuple[Line, ...]
    sli: str | None = None


# Resources against the current config's capacity, one row of three.
RESOURCE_CHARTS = (
    UsageChart(
        "detail_cpu",
        "CPU used vs capacity",
        "CPU (cores)",
        "%{y:,.2f} cores",
        (
            Line("cpu_used_mean_cores", "Used (mean)"),
            Line("cpu_used_p95_cores", "Used (p95 in hour)", color=theme.PALETTE[1]),
            Line("cpu_capacity_cores", "Capacity (current config)", reference=True),
        ),
    ),
    UsageChart(
        "detail_memory",
        "Memory used vs capacity",
        "Memory (GiB)",
        "%{y:,.2f} GiB",
        (
            Line("memory_used_max_gib", "Used (max in hour)"),
            Line("memory_capacity_gib", "Capacity (current config)", reference=True),
        ),
    ),
    UsageChart(
        "detail_requests",
        "Requests per second",
        "Requests (req/s)",
        "%{y:,.3~r} req/s",
        (Line("requests_per_s", "Requests (mean in hour)"),),
    ),
)
# The SLIs against the SLA's targets, latency wider than errors.
SLI_CHARTS = (
    UsageChart(
        "detail_latency",
        "p95 latency vs SLA target",
        "p95 latency (ms)",
        "%{y:,.0f} ms",
        (
            Line("latency_p95_ms", "p95 latency"),
            Line("latency_target_ms", "SLA target (p95)", color=theme.TARGET, reference=True),
        ),
        sli="latency",
    ),
    UsageChart(
        "detail_errors",
        "Error rate vs SLA maximum",
        "Error rate (%)",
        "%{y:,.2f} %",
        (
            Line("error_rate_pct", "Error rate"),
            Line("error_rate_max_pct", "SLA maximum", color=theme.TARGET, reference=True),
        ),
        sli="error-rate",
    ),
)


def usage_charts(usage: pd.DataFrame, service: Service, range_text: str) -> None:
    """CPU, memory, traffic, then latency and errors against the SLA."""
    usage = usage.assign(
        latency_target_ms=service.sla.latency_p95_target_ms,
        error_rate_max_pct=service.sla.max_error_rate_pct,
    )
    for column, chart in zip(st.columns(3), RESOURCE_CHARTS, strict=True):
        with column:
            _usage_chart(usage, chart, range_text)
    for column, chart in zip(st.columns([2, 1]), SLI_CHARTS, strict=True):
        with column:
            _usage_chart(usage, chart, range_text)


def _usage_chart(usage: pd.DataFrame, chart: UsageChart, range_text: str) -> None:
    measured = [line for line in chart.series if not line.reference]
    if usage.empty or all(usage[line.column].isna().all() for line in measured):
        charts.no_data(chart.title, _missing(usage, chart, range_text))
        return
    drawn = [line for line in chart.series if not usage[line.column].isna().all()]
    fig = charts.lines(
        usage,
        x="hour_start",
        series=drawn,
        title=chart.title,
        x_title="Hour (UTC)",
        y_title=chart.y_title,
        hover_value=chart.hover_value,
    )
    charts.show(fig, key=chart.key)


def _missing(usage: pd.DataFrame, chart: UsageChart, range_text: str) -> str:
    """Why a chart is empty: no samples at all, or samples without this SLI."""
    if usage.empty or chart.sli is None:
        return f"No usage samples for this service from {range_text}."
    return (
        f"No {chart.sli} samples from {range_text}: the service's telemetry does not export "
        "request metrics (http_request_duration_seconds / request counters by status)."
    )
