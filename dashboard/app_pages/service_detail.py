"""Service detail: one service's cost per day, usage against capacity, and SLA compliance."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.components import (
    basis,
    filters,
    formats,
    kpis,
    page,
    selection,
    states,
    tables,
)
from dashboard.components.service_detail import charts as detail_charts
from dashboard.components.service_detail import recommendations as detail_recommendations
from dashboard.queries import fleet as queries
from data.repos.fleet import Filters
from engine.capacity import CapacityConfig
from engine.service import Service

start = page.begin(
    "One service: what it costs per day, how much of its capacity it uses, and whether it "
    "keeps its SLA."
)
sessions, status, today = start.sessions, start.status, start.today
options = queries.filter_options(sessions)
chosen = filters.sidebar(options, today=today, first_day=status.first_cost_date, with_dates=True)
everyone = queries.service_list(sessions, Filters())
# Without a filter the matching services are everyone: one read, not the same read twice.
matching = queries.service_list(sessions, chosen.filters) if chosen.filters.active else everyone
filters.active_hint(chosen, shown=matching["service_id"].nunique(), total=status.services)


def _pick_service() -> int:
    """The picker lists services matching the filters, plus the one already selected."""
    known = [int(v) for v in everyone.sort_values("name")["service_id"].unique()]
    ids = [int(v) for v in matching.sort_values("name")["service_id"].unique()] or known
    wanted = selection.selected_service()
    if wanted is None or wanted not in known:
        wanted = ids[0]
    elif wanted not in ids:
        ids.insert(0, wanted)
    labels = {
        int(sid): f"{name} · {team} · {env}"
        for sid, name, team, env in everyone[
            ["service_id", "name", "team", "environment"]
        ].itertuples(index=False, name=None)
    }
    if st.session_state.get("detail_service") != wanted:
        st.session_state["detail_service"] = wanted
    picked: int = st.selectbox(
        "Service",
        ids,
        format_func=lambda sid: labels[sid],
        key="detail_service",
        on_change=_remember,
    )
    return int(picked)


def _remember() -> None:
    st.session_state[selection.SELECTED_SERVICE] = st.session_state["detail_service"]


def _kpi_cards(row: pd.Series, costs: pd.DataFrame, currency: str | None) -> list[kpis.Kpi]:
    daily = costs[costs["billing_currency"] == currency].groupby("charge_date")["effective_cost"]
    points, labels = kpis.daily_money(daily.sum(), currency or "")
    monthly = row["monthly_effective_cost"]
    hours = row["latency_hours_7d"]
    breach = row["sla_breach_hours_7d"]
    over = f"{int(breach)} of {int(hours)} h" if pd.notna(hours) and hours else "no latency data"
    return [
        kpis.Kpi(
            "Billed run-rate",
            "—"
            if currency is None or pd.isna(monthly)
            else f"{formats.money(float(monthly), currency)} /mo",
            help="Effective cost of the last 30 days (fewer while the cost history is younger) "
            "scaled to a 730-hour month, every category. " + basis.BILLED_HELP,
            chart_data=points or None,
            chart_labels=labels,
        ),
        kpis.Kpi(
            "CPU p95 utilization (7 d)",
            formats.pct(_float(row["cpu_p95_utilization_pct"])),
            help="95th percentile of hourly mean CPU used ÷ current CPU capacity.",
        ),
        kpis.Kpi(
            "Hours over p95 target (7 d)",
            over,
            delta=(
                f"{breach / hours * 100:.1f} % of hours (limit 1 %)"
                if pd.notna(hours) and hours
                else None
            ),
            delta_color="off",
            delta_arrow="off",
            help="Hours whose p95 latency exceeded the SLA target.",
        ),
        kpis.Kpi("Latency SLA (7 d)", tables.SLA_LABELS[str(row["sla_status"])]),
    ]


def _config_card(service: Service, config: CapacityConfig | None) -> None:
    with st.container(border=True):
        st.markdown("**Current configuration**")
        if config is None:
            st.info("This service has no capacity configuration yet.", icon=":material/info:")
            return
        if config.platform == "vm":
            size = f"{config.instance_type} ({config.vcpu_per_replica:g} vCPU, "
            size += f"{formats.gib(config.memory_gib_per_replica)})"
        else:
            size = (
                f"{formats.cores(config.cpu_request_cores)} CPU / "
                f"{formats.gib(config.memory_request_gib)} per pod"
            )
        on_demand = 100 - config.commitment_coverage_pct - config.spot_pct
        fields = {
            "Platform": f"{service.platform} · {service.provider} · {service.region}",
            "Instance type" if config.platform == "vm" else "Requests": size,
            "Replicas": (
                f"{config.replicas} (min {config.min_replicas}) across {config.zones} zones"
            ),
            "Capacity": (
                f"{formats.cores(config.cpu_capacity_cores)} CPU, "
                f"{formats.gib(config.memory_capacity_gib)} memory"
            ),
            "Pricing mix": (
                f"{on_demand:.0f} % on-demand · {config.commitment_coverage_pct:.0f} % "
                f"committed · {config.spot_pct:.0f} % spot"
            ),
            "Schedule": "always on" if config.schedule == "always" else config.schedule,
            "SLA targets": (
                f"p95 ≤ {service.sla.latency_p95_target_ms:,.0f} ms · availability "
                f"{service.sla.availability_target_pct:g} % · errors ≤ "
                f"{service.sla.max_error_rate_pct:g} %"
            ),
            "Owner": f"{service.team} ({service.owner}) · {service.policy_class}",
        }
        columns = st.columns(4)
        for i, (label, value) in enumerate(fields.items()):
            with columns[i % 4]:
                st.caption(label)
                st.markdown(formats.escape_markdown(value))


def _range_text() -> str:
    return f"{chosen.start:%Y-%m-%d} to {chosen.end:%Y-%m-%d} (UTC)"


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


service_id = _pick_service()
service, config = queries.service_profile(sessions, service_id)
row = queries.service_row(sessions, service_id, today, status.usage_end).iloc[0]
costs = queries.service_daily_costs(sessions, service_id, chosen.start, chosen.end)
currency = row["billing_currency"] if pd.notna(row["billing_currency"]) else None
if currency is None and not costs.empty:
    currency = str(costs["billing_currency"].mode().iloc[0])
kpis.kpi_row(_kpi_cards(row, costs, currency))
_config_card(service, config)
usage = queries.service_usage(
    sessions, service_id, _midnight(chosen.start), _midnight(chosen.end + timedelta(days=1))
)
detail_charts.cost_and_usage(costs, currency, usage, service, _range_text())
detail_recommendations.show(sessions, service_id)
st.divider()
states.freshness_line(status, now=start.now)
