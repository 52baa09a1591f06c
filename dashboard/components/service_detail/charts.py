"""Service detail chart: cost per day, usage against capacity and the SLA, as one figure."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.components import charts, formats, panels, theme
from dashboard.components.charts import Line
from engine.service import Service

TITLE = "Cost and usage vs capacity and SLA"
COST_TITLE = "Cost per day by category"
_DAY_MS = 86_400_000
_BAR_SHARE = 0.85  # of its day: a gap between days


def _cost_row(costs: pd.DataFrame, currency: str | None) -> panels.Row | None:
    """Cost per day stacked by FOCUS category in the billing currency; None without cost."""
    frame = costs[costs["billing_currency"] == currency]
    if frame.empty or currency is None:
        return None
    # Each day's bar is centred on its noon, so it spans its own day over the hourly rows.
    noon = pd.to_datetime(frame["charge_date"]) + pd.Timedelta(hours=12)
    built = charts.stacked_traces(
        frame.assign(charge_date=noon),
        bars=True,
        x="charge_date",
        y="effective_cost",
        group="service_category",
        colors=theme.category_colors(frame["service_category"]),
        hover_value=formats.money_hover(currency, decimals=2),
    )
    traces = tuple({**trace, "width": _BAR_SHARE * _DAY_MS} for trace in built)
    return panels.Row(
        COST_TITLE,
        formats.money_axis(currency, "day"),
        traces,
        legend_title=f"Cost per day ({currency})",
        height_px=200,
    )


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


def cost_and_usage(
    costs: pd.DataFrame,
    currency: str | None,
    usage: pd.DataFrame,
    service: Service,
    range_text: str,
) -> None:
    """Cost per day, then CPU, memory, traffic, latency and errors per hour, as the rows of one
    figure on one time axis (one figure for the browser to draw, not six); a row without data
    says why below it."""
    usage = usage.assign(
        latency_target_ms=service.sla.latency_p95_target_ms,
        error_rate_max_pct=service.sla.max_error_rate_pct,
    )
    cost = _cost_row(costs, currency)
    rows = [cost] if cost is not None else []
    rows += [_row(usage, chart) for chart in USAGE_CHARTS if _has_samples(usage, chart)]
    if rows:
        spec = panels.shared_x(
            rows,
            title=TITLE,
            subtitle=f"{range_text}; cost per day by FOCUS service category, usage per hour; "
            "dashed: the current config's capacity and the SLA's limits",
            x_title="Time (UTC)",
        )
        charts.show(
            panels.with_layout(spec, {"barmode": "stack", "bargap": 0.0}), key="detail_charts"
        )
    if cost is None:
        charts.no_data(COST_TITLE, f"No cost was allocated to this service from {range_text}.")
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
