"""The Simulator's charts (pure: result in, figure out): latency, utilization, cost waterfall.

Bands are filled 5–95 % areas with the median as a line and the reference (SLA target,
saturation limit) dashed, as every chart of the app draws them.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import plotly.graph_objects as go

from dashboard.components import charts, formats, theme
from engine.simulation import Band, MonthlyCost, SimulationResult

SECONDS_PER_HOUR = 3600
MAX_POINTS = 720  # per series: a few points per pixel of a half-width chart
BAND_FILL = "rgba(78,121,167,0.25)"
# Half-width charts: room for a legend that wraps onto a second row under the subtitle.
BAND_TOP_MARGIN_PX = 112  # PALETTE[0] translucent: the band, not a line


@dataclass(frozen=True, slots=True)
class CostStep:
    """One bar of the waterfall: a label and its monthly USD (a level or a change)."""

    label: str
    usd: float


def cost_steps(current: MonthlyCost, scenario: MonthlyCost) -> list[CostStep]:
    """Current → compute → commitment → spot → schedule → scenario (median paths), summing exactly.

    Each side's effective cost E splits as E = X − C − S − H: H the schedule savings, S the spot
    savings (the engine's own figures), C = L − S − E the commitment's net saving (discount on
    covered hours less its waste, L the list cost on schedule) and X = E + C + S + H the fleet
    at on-demand prices before the schedule. The steps are the changes of X, −C, −S and −H.
    """
    before, after = _parts(current), _parts(scenario)
    return [
        CostStep("Current", current.effective_usd.p50),
        CostStep("Compute", after[0] - before[0]),
        CostStep("Commitment", before[1] - after[1]),
        CostStep("Spot", before[2] - after[2]),
        CostStep("Schedule", before[3] - after[3]),
        CostStep("Scenario", scenario.effective_usd.p50),
    ]


def _parts(cost: MonthlyCost) -> tuple[float, float, float, float]:
    """(X, C, S, H) of the module rule, from the median path."""
    effective, spot = cost.effective_usd.p50, cost.spot_savings_usd.p50
    schedule = cost.schedule_savings_usd.p50
    commitment = cost.list_usd.p50 - spot - effective
    return effective + commitment + spot + schedule, commitment, spot, schedule


def cost_waterfall(steps: list[CostStep], *, currency: str = "USD") -> go.Figure:
    first, last = steps[0], steps[-1]
    bars = go.Waterfall(
        x=[step.label for step in steps],
        y=[step.usd for step in steps],
        measure=["absolute", *["relative"] * (len(steps) - 2), "total"],
        text=[
            _signed_money(s.usd, currency, first=i in (0, len(steps) - 1))
            for i, s in enumerate(steps)
        ],
        textposition="outside",
        connector={"line": {"color": theme.NEUTRAL, "width": 1, "dash": "dot"}},
        increasing={"marker": {"color": theme.TARGET}},
        decreasing={"marker": {"color": "#2E9E5B"}},
        totals={"marker": {"color": theme.PALETTE[0]}},
        hovertemplate=f"%{{x}}: {formats.money_hover(currency)}<extra></extra>",
    )
    return go.Figure(
        [bars],
        layout=_layout(
            title=(
                f"Monthly cost: {formats.money(first.usd, currency)} → "
                f"{formats.money(last.usd, currency)}"
            ),
            subtitle="Effective cost, current config vs scenario (median path); "
            "red adds, green saves",
            x_title="",
            y_title=formats.money_axis(currency, "month"),
            hovermode="closest",
            height=340,
        ),
    )


def latency_band(result: SimulationResult, *, change: str) -> go.Figure:
    """The p95 band against the SLA target, titled `p95 latency: {change}`; saturated hours
    (p95 +inf) are marked at the top of the axis and the replay's are counted in the title
    (first, where a half-width chart does not cut it off), never left as silent gaps."""
    hourly = result.hourly
    target = hourly.latency_target_ms
    saturated = int(np.count_nonzero(np.isposinf(hourly.replay_latency_p95_ms)))
    title = f"p95 latency: {change}"
    if saturated:
        title = f"p95 latency: {saturated:,} h {charts.SATURATED_LABEL.lower()} · {change}"
    fig = _band_figure(
        result.hourly.hour_start,
        hourly.latency_p95_ms,
        reference=target,
        reference_label=f"SLA target {target:,.0f} ms",
        unit="ms",
        fmt=",.0f",
        layout=_band_layout(title, _band_subtitle("Hourly p95", result), "p95 latency (ms)"),
    )
    return fig


def utilization_band(result: SimulationResult, *, title: str) -> go.Figure:
    hourly = result.hourly
    limit_pct = hourly.saturation_limit * 100.0
    fig = _band_figure(
        result.hourly.hour_start,
        _scaled(hourly.utilization, 100.0),
        reference=limit_pct,
        reference_label=f"Saturation limit {limit_pct:.0f} %",
        unit="%",
        fmt=",.1f",
        layout=_band_layout(
            title, _band_subtitle("CPU p95 ÷ capacity", result), "CPU utilization (%)"
        ),
    )
    return fig


def _band_layout(title: str, subtitle: str, y_title: str) -> dict[str, Any]:
    """The layout of an hourly band chart: hours along x, room on top for the legend."""
    return _layout(
        title=title,
        subtitle=subtitle,
        x_title="Hour (UTC)",
        y_title=y_title,
        top_px=BAND_TOP_MARGIN_PX,
    )


def _band_figure(
    hours: npt.NDArray[np.datetime64],
    band: Band,
    *,
    reference: float,
    reference_label: str,
    unit: str,
    fmt: str,
    layout: dict[str, Any],
) -> go.Figure:
    hours_per_point = _bucket_hours(len(hours))
    bucketed = _bucketed(band, hours_per_point)
    shown = _finite(bucketed)
    x = _hourly_x(hours, hours_per_point)
    ends = [_iso(hours[0]), _iso(hours[-1])]
    hover = f"%{{y:{fmt}}} {unit}"
    line = {"width": 0, "color": BAND_FILL}
    traces = [
        go.Scatter(**x, y=shown.p5, name="5 %", mode="lines", line=line,
                   showlegend=False, hovertemplate=f"5 %: {hover}<extra></extra>"),
        go.Scatter(**x, y=shown.p95, name="5–95 % band", mode="lines", line=line,
                   fill="tonexty", fillcolor=BAND_FILL,
                   hovertemplate=f"95 %: {hover}<extra></extra>"),
        go.Scatter(**x, y=shown.p50, name="Median", mode="lines",
                   line={"width": 1.5, "color": theme.PALETTE[0]},
                   hovertemplate=f"Median: {hover}<extra></extra>"),
        go.Scatter(x=ends, y=[reference, reference], name=reference_label,
                   mode="lines", line={"width": 2, "dash": "dash", "color": theme.TARGET},
                   hovertemplate=f"{reference_label}<extra></extra>"),
    ]  # fmt: skip
    marks = _saturation_marks(hours[::hours_per_point], bucketed, shown, reference)
    if marks is None:
        return go.Figure(traces, layout=layout)
    top = charts.SATURATION_RANGE * marks.y[0]
    return go.Figure(
        [*traces, marks], layout={**layout, "yaxis": {**layout["yaxis"], "range": [0, top]}}
    )


def _saturation_marks(
    starts: npt.NDArray[np.datetime64], bucketed: Band, shown: Band, reference: float
) -> go.Scatter | None:
    """Markers on the axis's top edge at the points whose 95 % (or median) is +inf."""
    hit = np.isposinf(bucketed.p95)
    if not hit.any():
        return None
    which = [
        f"p95 unbounded on {'the median path' if inf else '≥ 5 % of paths'}"
        for inf in np.isposinf(bucketed.p50[hit])
    ]
    top = charts.saturation_top(shown.p95, shown.p50, [reference])
    return charts.saturation_marks([_iso(h) for h in starts[hit]], top=top, text=which)


def _bucket_hours(hours: int) -> int:
    """Hours per drawn point: 1 up to MAX_POINTS hours, else the fewest that fit (90 d → 3 h)."""
    return max(math.ceil(hours / MAX_POINTS), 1)


def _bucketed(band: Band, size: int) -> Band:
    """Per bucket of `size` hours: the lowest 5 %, the median of the medians, the highest 95 %.

    Why: a half-width chart is ~500 px wide, so 2,160 hourly points draw nothing more than
    720 do, yet every slider move pays for them twice (JSON, then the browser's SVG paths).
    The envelope keeps every excursion visible.
    """
    if size == 1:
        return band
    starts = np.arange(0, len(band.p50), size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a bucket with no value stays NaN
        padded = np.pad(band.p50, (0, len(starts) * size - len(band.p50)), constant_values=np.nan)
        median = np.nanmedian(padded.reshape(-1, size), axis=1)
    return Band(np.fmin.reduceat(band.p5, starts), median, np.fmax.reduceat(band.p95, starts))


def _hourly_x(hours: npt.NDArray[np.datetime64], size: int) -> dict[str, Any]:
    """x as a start and a step when the hours are contiguous, else each bucket's first hour.

    Why: 2,160 datetimes cost ~100 ms per figure to validate and serialise to JSON on every
    slider move; `x0` + `dx` (milliseconds on a date axis) cost nothing.
    """
    steps = np.diff(hours.astype("datetime64[s]").astype(np.int64))
    if len(hours) > 1 and np.all(steps == SECONDS_PER_HOUR):
        return {"x0": _iso(hours[0]), "dx": size * SECONDS_PER_HOUR * 1000}
    return {"x": [_iso(hour) for hour in hours[::size]]}


def _iso(hour: np.datetime64) -> str:
    return str(np.datetime_as_string(hour.astype("datetime64[s]")))


def _band_subtitle(what: str, result: SimulationResult) -> str:
    size = _bucket_hours(len(result.hourly.hour_start))
    per = "" if size == 1 else f", {size}-hour buckets"
    return f"{what}: median and 5–95 % band, {result.paths:,} paths{per}"


def _layout(
    *,
    title: str,
    subtitle: str,
    x_title: str,
    y_title: str,
    hovermode: str = "x unified",
    height: int = 340,
    top_px: int | None = None,
) -> dict[str, Any]:
    """theme.layout without the template: Streamlit's chart theme replaces the template
    anyway, and validating it costs ~15 ms a figure, paid on every slider move; only the
    explicit values (all of theme.LAYOUT) matter."""
    found = theme.layout(
        title=title, subtitle=subtitle, x_title=x_title, y_title=y_title,
        hovermode=hovermode, height=height,
    )  # fmt: skip
    del found["template"]
    if top_px is not None:
        found["margin"] = {**found["margin"], "t": top_px}
    return found


def _finite(band: Band) -> Band:
    """±inf (saturated, or traffic meeting a stopped fleet) cannot be drawn as a line: gaps,
    which `_saturation_marks` fills with markers."""
    return Band(
        charts.finite_or_gap(band.p5),
        charts.finite_or_gap(band.p50),
        charts.finite_or_gap(band.p95),
    )


def _scaled(band: Band, factor: float) -> Band:
    return Band(band.p5 * factor, band.p50 * factor, band.p95 * factor)


def _signed_money(usd: float, currency: str, *, first: bool) -> str:
    """Bar labels: levels plain, changes signed, a step that changes nothing unlabelled."""
    if not first and round(usd) == 0:
        return ""
    text = formats.money(usd, currency)
    return text if first or usd < 0 else f"+{text}"
