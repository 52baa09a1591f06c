"""Service detail charts: cost per day by category, usage against capacity and the SLA."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.components import charts, formats, panels, theme
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


USAGE_TITLE = "Usage vs capacity and SLA"


@dataclass(frozen=True, slots=True)
class UsageChart:
    """One row of the usage figure: its title, short legend title, y-axis title with the
    unit, hover format and lines; `sli` names the SLI whose absence the row's empty place
    explains (None: no samples at all is the only reason)."""

    title: str
    legend_title: str
    y_title: str
    hover_value: str
    series: tuple[Line, ...]
    sli: str | None = None


# Resources against the current config's capacity, then the SLIs against the SLA's targets.
USAGE_CHARTS = (
    UsageChart(
        "CPU used vs capacity",
        "CPU",
        "CPU (cores)",
        "%{y:,.2f} cores",
        (
            Line("cpu_used_mean_cores", "Used (mean)"),
            Line("cpu_used_p95_cores", "Used (p95 in hour)", color=theme.PALETTE[1]),
            Line("cpu_capacity_cores", "Capacity (current config)", reference=True),
        ),
    ),
    UsageChart(
        "Memory used vs capacity",
        "Memory",
        "Memory (GiB)",
        "%{y:,.2f} GiB",
        (
            Line("memory_used_max_gib", "Used (max in hour)"),
            Line("memory_capacity_gib", "Capacity (current config)", reference=True),
        ),
    ),
    UsageChart(
        "Requests per second",
        "Traffic",
        "Requests (req/s)",
        "%{y:,.3~r} req/s",
        (Line("requests_per_s", "Requests (mean in hour)"),),
    ),
    UsageChart(
        "p95 latency vs SLA target",
        "Latency",
        "p95 latency (ms)",
        "%{y:,.0f} ms",
        (
            Line("latency_p95_ms", "p95 latency"),
            Line("latency_target_ms", "SLA target (p95)", color=theme.TARGET, reference=True),
        ),
        sli="latency",
    ),
    UsageChart(
        "Error rate vs SLA maximum",
        "Errors",
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
    """CPU, memory, traffic, latency and errors as the rows of one figure on one hour axis
    (one figure for the browser to draw, not five); a metric without samples says why below."""
    usage = usage.assign(
        latency_target_ms=service.sla.latency_p95_target_ms,
        error_rate_max_pct=service.sla.max_error_rate_pct,
    )
    rows = [_row(usage, chart) for chart in USAGE_CHARTS if _has_samples(usage, chart)]
    if rows:
        fig = panels.shared_x(
            rows,
            title=USAGE_TITLE,
            subtitle=f"Hourly, {range_text}; dashed: the current config's capacity and the "
            "SLA's limits",
            x_title="Hour (UTC)",
        )
        charts.show(fig, key="detail_usage")
    for chart in USAGE_CHARTS:
        if not _has_samples(usage, chart):
            charts.no_data(chart.title, _missing(usage, chart, range_text))


def _has_samples(usage: pd.DataFrame, chart: UsageChart) -> bool:
    measured = [line for line in chart.series if not line.reference]
    return not usage.empty and not all(usage[line.column].isna().all() for line in measured)


def _row(usage: pd.DataFrame, chart: UsageChart) -> panels.Row:
    drawn = [line for line in chart.series if not usage[line.column].isna().all()]
    traces = tuple(
        charts.line_trace(usage, x="hour_start", line=line, rank=i, hover_value=chart.hover_value)
        for i, line in enumerate(drawn)
    )
    return panels.Row(chart.title, chart.y_title, traces, legend_title=chart.legend_title)


def _missing(usage: pd.DataFrame, chart: UsageChart, range_text: str) -> str:
    """Why a chart is empty: no samples at all, or samples without this SLI."""
    if usage.empty or chart.sli is None:
        return f"No usage samples for this service from {range_text}."
    return (
        f"No {chart.sli} samples from {range_text}: the service's telemetry does not export "
        "request metrics (http_request_duration_seconds / request counters by status)."
    )
