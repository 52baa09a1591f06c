"""Services: every service with its cost, size, CPU utilization and SLA state; open one."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components import (
    basis,
    downloads,
    filters,
    formats,
    kpis,
    page,
    selection,
    states,
    tables,
)
from dashboard.queries import fleet as queries
from data.repos.fleet import FleetStatus

SLA_CHOICES = tuple(tables.SLA_LABELS.values())

start = page.begin(
    "Which services cost the most, how hard they use what they pay for, and whether they keep "
    "their latency SLA. Select a row to open the service."
)
sessions, status, today = start.sessions, start.status, start.today
options = queries.filter_options(sessions)
chosen = filters.sidebar(options, today=today, first_day=status.first_cost_date, with_dates=False)
table = tables.with_sla_labels(
    queries.services_table(sessions, chosen.filters, today, status.usage_end)
)
filters.active_hint(chosen, shown=table["service_id"].nunique(), total=status.services)


def _kpi_cards(frame: pd.DataFrame) -> list[kpis.Kpi]:
    cards = [kpis.Kpi("Services", f"{frame['service_id'].nunique():,}", help="Rows below.")]
    for currency, part in frame.dropna(subset=["billing_currency"]).groupby("billing_currency"):
        total = float(part["monthly_effective_cost"].sum())
        cards.append(
            kpis.Kpi(
                f"Billed run-rate ({currency})",
                f"{formats.money_compact(total, str(currency))} /mo",
                help="Sum of the listed services' effective cost of the last 30 days (fewer "
                "while the cost history is younger) scaled to a 730-hour month. "
                + basis.BILLED_HELP
                + " Unallocated cost (charged to no service) is in no row: see Overview.",
            )
        )
    breaching = int((frame["sla_status"] == "breaching").sum())
    cards.append(
        kpis.Kpi(
            "Breaching SLA (7 d)",
            f"{breaching:,}",
            help="p95 latency above target in more than 1 % of hours, last 7 days.",
        )
    )
    utilization = frame["cpu_p95_utilization_pct"].dropna()
    cards.append(
        kpis.Kpi(
            "Median CPU p95 (7 d)",
            formats.pct(float(utilization.median())) if len(utilization) else "—",
            help="Median across services of the 7-day p95 CPU utilization.",
        )
    )
    return cards


def _search(frame: pd.DataFrame) -> pd.DataFrame:
    left, right = st.columns([3, 2])
    text = left.text_input(
        "Search services",
        key="svc_search",
        placeholder="Name, slug, team or region",
        icon=":material/search:",
    )
    sla = right.multiselect(
        "Latency SLA (7 d)", SLA_CHOICES, key="svc_sla", placeholder="Any SLA status"
    )
    shown = frame
    if text:
        haystack = shown[["name", "slug", "team", "region"]].astype(str).agg(" ".join, axis=1)
        shown = shown[haystack.str.contains(text, case=False, regex=False)]
    if sla:
        shown = shown[shown["sla_label"].isin(sla)]
    return shown.reset_index(drop=True)


def _table(frame: pd.DataFrame, state: FleetStatus) -> None:
    if frame.empty:
        st.info("No service matches the search and filters.", icon=":material/search_off:")
        return
    columns = [c for c in tables.SERVICE_COLUMNS if c != "billing_currency"]
    if frame["billing_currency"].nunique() > 1:
        columns = list(tables.SERVICE_COLUMNS)
    shown = [c if c != "sla_label" else "sla_badge" for c in columns]
    event = tables.grid(
        # Only the shown columns go to the browser, with the id a selection needs and the
        # label the badge draws (what tests and the export read).
        tables.with_sla_badges(frame[[*columns, "service_id"]]),
        column_order=shown,
        column_config=tables.services_column_config(frame),
        hide_index=True,
        key="svc_table",
        on_select="rerun",
        selection_mode="single-row",
    )
    rows = event.selection.rows if event is not None else []
    if rows:
        selection.open_service(int(frame.iloc[rows[0]]["service_id"]))
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    labels = dict(zip(frame["service_id"], frame["name"] + " · " + frame["team"], strict=False))
    selection.pick_to_open(
        left,
        "Open a service",
        labels,
        key="svc_open",
        placeholder="Choose a service to see its costs, usage and SLA",
        open_one=selection.open_service,
    )
    downloads.csv_button(
        "Export CSV",
        lambda: tables.services_export(frame),
        file_name=f"tightrope-services-{today:%Y-%m-%d}.csv",
        key="svc_export",
        width="stretch",
        where=right,
    )


kpis.kpi_row(_kpi_cards(table))
shown = _search(table)
st.caption(
    f"{len(shown)} of {len(table)} services, most expensive first. Monthly cost: effective cost "
    "of the last 30 days scaled to a 730-hour month. CPU p95: 95th percentile of hourly CPU "
    "utilization over the last 7 days."
)
_table(shown, status)
st.divider()
states.freshness_line(status, now=start.now)
