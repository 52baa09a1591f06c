"""The Simulator's charts (pure: result in, figure out): latency, utilization, cost waterfall.

Bands are filled 5–95 % areas with the median as a line and the reference (SLA target,
saturation limit) dashed, as every chart of the app draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.components import formats, theme
from engine.simulation import Band, MonthlyCost, SimulationResult
from engine.usage import FloatArray

BAND_FILL = "rgba(78,121,167,0.25)"  # PALETTE[0] translucent: the band, not a line


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
    fig = go.Figure(
        go.Waterfall(
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
    )
    return theme.style(
        fig,
        title=(
            f"Monthly cost: {formats.money(first.usd, currency)} → "
            f"{formats.money(last.usd, currency)}"
        ),
        subtitle="Effective cost, current config vs scenario (median path); red adds, green saves",
        x_title="",
        y_title=formats.money_axis(currency, "month"),
        hovermode="closest",
        height=340,
    )


def latency_band(result: SimulationResult, *, title: str) -> go.Figure:
    hourly = result.hourly
    target = hourly.latency_target_ms
    fig = _band_figure(
        _hours(result),
        _finite(hourly.latency_p95_ms),
        reference=target,
        reference_label=f"SLA target {target:,.0f} ms",
        unit="ms",
        fmt=",.0f",
    )
    return theme.style(
        fig,
        title=title,
        subtitle=(
            f"Projected hourly p95: median and 5–95 % band over {result.paths:,} paths; "
            "gaps are hours off schedule or without latency data"
        ),
        x_title="Hour (UTC)",
        y_title="p95 latency (ms)",
        height=320,
    )


def utilization_band(result: SimulationResult, *, title: str) -> go.Figure:
    hourly = result.hourly
    limit_pct = hourly.saturation_limit * 100.0
    fig = _band_figure(
        _hours(result),
        _scaled(_finite(hourly.utilization), 100.0),
        reference=limit_pct,
        reference_label=f"Saturation limit {limit_pct:.0f} %",
        unit="%",
        fmt=",.1f",
    )
    return theme.style(
        fig,
        title=title,
        subtitle=f"CPU p95 ÷ capacity: median and 5–95 % band over {result.paths:,} paths",
        x_title="Hour (UTC)",
        y_title="CPU utilization (%)",
        height=320,
    )


def _band_figure(
    hours: pd.DatetimeIndex,
    band: Band,
    *,
    reference: float,
    reference_label: str,
    unit: str,
    fmt: str,
) -> go.Figure:
    hover = f"%{{y:{fmt}}} {unit}"
    line = {"width": 0, "color": BAND_FILL}
    return go.Figure(
        [
            go.Scatter(x=hours, y=band.p5, name="5 %", mode="lines", line=line,
                       showlegend=False, hovertemplate=f"5 %: {hover}<extra></extra>"),
            go.Scatter(x=hours, y=band.p95, name="5–95 % band", mode="lines", line=line,
                       fill="tonexty", fillcolor=BAND_FILL,
                       hovertemplate=f"95 %: {hover}<extra></extra>"),
            go.Scatter(x=hours, y=band.p50, name="Median", mode="lines",
                       line={"width": 1.5, "color": theme.PALETTE[0]},
                       hovertemplate=f"Median: {hover}<extra></extra>"),
            go.Scatter(x=[hours[0], hours[-1]], y=[reference, reference], name=reference_label,
                       mode="lines", line={"width": 2, "dash": "dash", "color": theme.TARGET},
                       hovertemplate=f"{reference_label}<extra></extra>"),
        ]
    )  # fmt: skip


def _hours(result: SimulationResult) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(result.hourly.hour_start).tz_localize("UTC")


def _finite(band: Band) -> Band:
    """±inf (traffic meeting a stopped fleet) cannot be drawn: shown as gaps."""
    return Band(_finite_only(band.p5), _finite_only(band.p50), _finite_only(band.p95))


def _finite_only(values: FloatArray) -> FloatArray:
    shown: FloatArray = np.where(np.isfinite(values), values, np.nan)
    return shown


def _scaled(band: Band, factor: float) -> Band:
    return Band(band.p5 * factor, band.p50 * factor, band.p95 * factor)


def _signed_money(usd: float, currency: str, *, first: bool) -> str:
    text = formats.money(usd, currency)
    return text if first or usd < 0 else f"+{text}"
