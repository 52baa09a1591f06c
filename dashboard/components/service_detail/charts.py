"""Service detail charts: cost per day by category, usage against capacity and the SLA."""

from __future__ import annotations

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
    fig = charts.stacked_bars(
        frame,
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


def _usage_chart(
    usage: pd.DataFrame,
    *,
    key: str,
    title: str,
    y_title: str,
    hover_value: str,
    series: list[Line],
    missing: str,
) -> None:
    measured = [line for line in series if not line.reference]
    if usage.empty or all(usage[line.column].isna().all() for line in measured):
        charts.no_data(title, missing)
        return
    drawn = [line for line in series if not usage[line.column].isna().all()]
    fig = charts.lines(
        usage,
        x="hour_start",
        series=drawn,
        title=title,
        x_title="Hour (UTC)",
        y_title=y_title,
        hover_value=hover_value,
    )
    charts.show(fig, key=key)


def usage_charts(usage: pd.DataFrame, service: Service, range_text: str) -> None:
    """CPU, memory, traffic, then latency and errors against the SLA."""
    usage = usage.assign(
        latency_target_ms=service.sla.latency_p95_target_ms,
        error_rate_max_pct=service.sla.max_error_rate_pct,
    )
    none = f"No usage samples for this service from {range_text}."
    cpu, memory, traffic = st.columns(3)
    with cpu:
        _usage_chart(
            usage,
            key="detail_cpu",
            title="CPU used vs capacity",
            y_title="CPU (cores)",
            hover_value="%{y:,.2f} cores",
            series=[
                Line("cpu_used_mean_cores", "Used (mean)"),
                Line("cpu_used_p95_cores", "Used (p95 in hour)", color=theme.PALETTE[1]),
                Line("cpu_capacity_cores", "Capacity (current config)", reference=True),
            ],
            missing=none,
        )
    with memory:
        _usage_chart(
            usage,
            key="detail_memory",
            title="Memory used vs capacity",
            y_title="Memory (GiB)",
            hover_value="%{y:,.2f} GiB",
            series=[
                Line("memory_used_max_gib", "Used (max in hour)"),
                Line("memory_capacity_gib", "Capacity (current config)", reference=True),
            ],
            missing=none,
        )
    with traffic:
        _usage_chart(
            usage,
            key="detail_requests",
            title="Requests per second",
            y_title="Requests (req/s)",
            hover_value="%{y:,.3~r} req/s",
            series=[Line("requests_per_s", "Requests (mean in hour)")],
            missing=none,
        )
    latency, errors = st.columns([2, 1])
    with latency:
        _usage_chart(
            usage,
            key="detail_latency",
            title="p95 latency vs SLA target",
            y_title="p95 latency (ms)",
            hover_value="%{y:,.0f} ms",
            series=[
                Line("latency_p95_ms", "p95 latency"),
                Line("latency_target_ms", "SLA target (p95)", color=theme.TARGET, reference=True),
            ],
            missing=none if usage.empty else _no_sli("latency", range_text),
        )
    with errors:
        _usage_chart(
            usage,
            key="detail_errors",
            title="Error rate vs SLA maximum",
            y_title="Error rate (%)",
            hover_value="%{y:,.2f} %",
            series=[
                Line("error_rate_pct", "Error rate"),
                Line("error_rate_max_pct", "SLA maximum", color=theme.TARGET, reference=True),
            ],
            missing=none if usage.empty else _no_sli("error-rate", range_text),
        )


def _no_sli(kind: str, range_text: str) -> str:
    return (
        f"No {kind} samples from {range_text}: the service's telemetry does not export "
        "request metrics (http_request_duration_seconds / request counters by status)."
    )
