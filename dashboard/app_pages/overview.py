"""Overview: what the fleet costs per month, where the money goes, and who misses the SLA."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import deps
from dashboard.components import (
    basis,
    breaching_table,
    breakdown,
    charts,
    cost_forecast,
    filters,
    formats,
    kpis,
    page,
    panels,
    states,
    theme,
)
from dashboard.components.changes.realized import month_kpi
from dashboard.queries import fleet as queries
from dashboard.queries import realized as realized_queries
from data.repos import fleet
from data.repos.fleet import CurrencyRunRate, FleetKpis

start = page.begin(
    "What the fleet costs per month, where the money goes, and which services miss their "
    "latency SLA."
)
sessions, status, today = start.sessions, start.status, start.today
options = queries.filter_options(sessions)
selection = filters.sidebar(options, today=today, first_day=status.first_cost_date, with_dates=True)
chosen = selection.filters
fleet_kpis = queries.kpis(sessions, chosen, today, status.usage_end)
filters.active_hint(selection, shown=fleet_kpis.services, total=status.services)
team_colors = theme.stable_colors(options.teams)
NO_COST = "No cost was charged to the filtered services in these dates."
TREND_TITLE = "Daily cost by team, and the forecast"


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart ready to draw: its figure, or the reason there is none under its title."""

    key: str
    title: str
    figure: theme.Spec | None = None
    missing: str = ""

    def draw(self) -> None:
        if self.figure is None:
            charts.no_data(self.title, self.missing)
        else:
            charts.show(self.figure, key=self.key)


def _sparkline(currency: str) -> tuple[tuple[float, ...], tuple[str, ...]]:
    daily = queries.daily_cost_by_team(sessions, chosen, today - timedelta(days=29), today)
    mine = daily[daily["billing_currency"] == currency]
    return kpis.daily_money(mine.groupby("charge_date")["effective_cost"].sum(), currency)


def _kpi_cards(result: FleetKpis, rate: CurrencyRunRate | None) -> list[kpis.Kpi]:
    if rate is None:
        cost = [
            kpis.Kpi("Run-rate per month", "—", help="No cost in 30 days."),
            kpis.Kpi("30-day change", "—"),
        ]
    else:
        cost = [_run_rate_card(rate), _change_card(rate)]
    currency = rate.billing_currency if rate else deps.settings().currency
    realized = month_kpi(realized_queries.month(sessions, today, currency))
    return [*cost, realized, *_service_cards(result)]


def _run_rate_card(rate: CurrencyRunRate) -> kpis.Kpi:
    change, currency = rate.change_30d_pct, rate.billing_currency
    points, labels = _sparkline(currency)
    return kpis.Kpi(
        "Run-rate per month",
        formats.money_compact(rate.monthly_run_rate, currency),
        delta=None if change is None else f"{formats.signed_pct(change)} vs prior 30 d",
        delta_color="inverse",
        help=(
            f"Effective (amortized, after discounts) cost of the last "
            f"{rate.days_in_window} days × 730 h / ({rate.days_in_window} × 24 h), in "
            f"{currency}, for the filtered services. Fewer than 30 days only while the "
            "cost history is younger than that."
        ),
        chart_data=points,
        chart_labels=labels,
    )


def _change_card(rate: CurrencyRunRate) -> kpis.Kpi:
    change, currency = rate.change_30d_pct, rate.billing_currency
    delta_money = rate.effective_cost_last_30d - rate.effective_cost_prev_30d
    return kpis.Kpi(
        "30-day change",
        "—" if change is None else formats.signed_pct(change),
        delta=(
            _no_baseline(rate)
            if change is None
            else f"{'+' if delta_money >= 0 else '-'}"
            f"{formats.money_compact(abs(delta_money), currency)} vs prior 30 d"
        ),
        delta_color="off" if change is None else "inverse",
        delta_arrow="off" if change is None else "auto",
        help="Effective cost of the last 30 days against the 30 days before them.",
    )


def _service_cards(result: FleetKpis) -> list[kpis.Kpi]:
    breach_share = (
        f"{result.services_breaching_sla_7d / result.services * 100:.1f} % of services"
        if result.services
        else None
    )
    return [
        kpis.Kpi("Services", f"{result.services:,}", help="Active services matching the filters."),
        kpis.Kpi(
            "Services breaching SLA (7 d)",
            f"{result.services_breaching_sla_7d:,}",
            delta=breach_share,
            delta_color="off",
            delta_arrow="off",
            help="p95 latency above the service's target in more than 1 % of hours, last 7 days.",
        ),
    ]


def _no_baseline(rate: CurrencyRunRate) -> str:
    if not rate.previous_window_complete:
        return f"needs 60 d of history, has {rate.days_in_window} d"
    return "no cost in the prior 30 d"


def _basis_line(rate: CurrencyRunRate | None) -> None:
    """Name the basis of every figure here, and the unallocated part of the total."""
    text = f"Money on this page is {basis.BILLED}: {basis.BILLED_HELP[len('Billed: ') :]}"
    if rate is not None and chosen.active:
        text += " Filtered: only cost allocated to the matching services is counted."
    elif rate is not None:
        money, total = rate.billing_currency, rate.monthly_run_rate
        unallocated = rate.unallocated_monthly_run_rate
        text += (
            f" Run-rate {formats.money_compact(total, money)} /mo = "
            f"{formats.money_compact(total - unallocated, money)} /mo allocated to services "
            f"(the Services total) + {formats.money_compact(unallocated, money)} /mo "
            "unallocated (charged to no service: support plans, shared networking, untagged "
            "resources)."
        )
    st.caption(text)


def _other_currencies(result: FleetKpis) -> None:
    others = [
        f"{formats.money(r.monthly_run_rate, r.billing_currency)} /mo" for r in result.run_rates[1:]
    ]
    if others:
        st.caption(
            "Also billed in other currencies (shown separately, never summed): "
            + ", ".join(others)
            + ". Charts show the main currency only."
        )


def _trend(currency: str) -> cost_forecast.Lead:
    """Daily cost by team, stacked: the row above the forecast in one figure."""
    title = "Daily effective cost by team"
    frame = _in_currency(
        queries.daily_cost_by_team(sessions, chosen, selection.start, selection.end), currency
    )
    subtitle = (
        f"{currency} per day: by team (stacked), {_days_label()}; then the forecast to month end"
    )
    lead = cost_forecast.Lead(TREND_TITLE, subtitle, None, title, NO_COST)
    if frame is None:
        return lead
    traces = charts.stacked_traces(
        frame,
        x="charge_date",
        y="effective_cost",
        group="team",
        colors=team_colors,
        hover_value=formats.money_hover(currency),
    )
    row = panels.Row(
        title,
        formats.money_axis(currency, "day"),
        tuple(traces),
        legend_title="Teams",
        x_title="Charge date (UTC)",
    )
    return dataclasses.replace(lead, row=row)


def _breakdown(currency: str) -> list[Chart]:
    """Top services, cost by environment and by platform as one figure (one for the browser
    to draw, not three); a part without cost says why under it."""
    # One read for the three parts: each service's cost over the dates, then summed here.
    costs = queries.service_costs(sessions, chosen, selection.start, selection.end)
    top = fleet.top_services(costs, 10)
    parts = (
        breakdown.Part(breakdown.TOP_TITLE, _in_currency(top, currency),
                       "No service has cost in these dates.", "name"),
        _cost_by(costs, "environment", currency),
        _cost_by(costs, "platform", currency),
    )  # fmt: skip
    fig = breakdown.figure(*parts, currency=currency, days=_days_label(), team_colors=team_colors)
    drawn = [] if fig is None else [Chart("ov_breakdown", breakdown.TITLE, fig)]
    return drawn + [
        Chart(f"ov_missing_{i}", part.title, missing=part.missing)
        for i, part in enumerate(parts)
        if part.frame is None
    ]


def _cost_by(costs: pd.DataFrame, dimension: fleet.Dimension, currency: str) -> breakdown.Part:
    label = "environment" if dimension == "environment" else "platform"
    frame = fleet.costs_by(costs, dimension)
    return breakdown.Part(
        f"Cost by {label}", _in_currency(frame, currency), "No cost in these dates.", dimension
    )


def _in_currency(frame: pd.DataFrame, currency: str) -> pd.DataFrame | None:
    """The rows in the chart's currency, or None when there are none (the chart says why)."""
    mine = frame[frame["billing_currency"] == currency]
    return None if mine.empty else mine


def _days_label() -> str:
    return f"{selection.start:%b %d} – {selection.end:%b %d}"


main_rate = fleet_kpis.run_rates[0] if fleet_kpis.run_rates else None
main_currency = main_rate.billing_currency if main_rate else deps.settings().currency
# Every read and figure first, then the page in one burst: drawn between slow reads, each chart
# made the browser load and compile plotly's 4.7 MB bundle (and vega's, the dataframe's) while
# the script still ran, and every later element waited for it (issue 19: 3-4x the floor page).
cards = _kpi_cards(fleet_kpis, main_rate)
trend = _trend(main_currency)
lower = _breakdown(main_currency)
breaching = queries.breaching_services(sessions, chosen, today, status.usage_end)
kpis.kpi_row(cards)
_basis_line(main_rate)
_other_currencies(fleet_kpis)
cost_forecast.section(sessions, main_currency, today, lead=trend)
for chart in lower:
    chart.draw()
breaching_table.show(breaching)
st.divider()
states.freshness_line(status, now=start.now)
