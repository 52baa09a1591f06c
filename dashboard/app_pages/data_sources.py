"""Data sources: how fresh every input is, the sidecar's jobs, FOCUS uploads, webhook deliveries."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from dashboard import deps
from dashboard.components import kpis, states
from dashboard.components.data_sources.common import FRESH, ago, badge, stale_after
from dashboard.components.data_sources.connectors import (
    show_ingested,
    show_sources,
    show_stale_recommendations,
)
from dashboard.components.data_sources.jobs import JOB_LABELS, show_jobs
from dashboard.components.data_sources.kube_allocation import show_kube_allocation
from dashboard.components.data_sources.kubernetes import show_kubernetes
from dashboard.components.data_sources.upload import show_upload
from dashboard.components.data_sources.webhooks import show_webhooks
from dashboard.queries import data_sources as data_sources_queries
from dashboard.queries import fleet as queries
from data.repos.job_status import JobStatus, StaleRecommendations

st.caption(
    "Where Tightrope's numbers come from and how fresh they are: the sidecar's jobs (run one "
    "now), usage and cost sources, and FOCUS billing uploads."
)
settings = deps.settings()
sessions = deps.sessions()
status = queries.status(sessions)
if not status.schema_ready:
    states.empty_state(status)
    st.stop()
now = deps.now()
minute = now.replace(second=0, microsecond=0)
interval_minutes = settings.refresh_interval_minutes
states.stale_banner(status, refresh_interval_minutes=interval_minutes, now=now)
jobs = data_sources_queries.job_statuses(sessions, tuple(JOB_LABELS), minute)
stale = data_sources_queries.stale_recommendations(sessions, minute - stale_after(interval_minutes))


def _kpi_cards(jobs: list[JobStatus], stale: StaleRecommendations) -> list[kpis.Kpi]:
    fresh = sum(
        badge(
            job.last_success.window_end if job.last_success else None,
            now=now,
            refresh_interval_minutes=interval_minutes,
        )
        == FRESH
        for job in jobs
    )
    last = [job.last_run.status for job in jobs if job.last_run is not None]
    # "partial": the last run stored only some of its work (e.g. usage of 800 of 1,000 services).
    problems = [f"{last.count(kind)} {word}" for kind, word in
                (("failed", "failing"), ("partial", "partial")) if kind in last]  # fmt: skip
    usage_end = status.usage_end
    return [
        kpis.Kpi(
            "Jobs fresh",
            f"{fresh} of {len(jobs)}",
            delta=", ".join(problems) or None,
            delta_color="inverse",
            delta_arrow="off",
            help="Jobs whose last success is newer than two refresh intervals "
            f"({interval_minutes} min each).",
        ),
        kpis.Kpi(
            "Usage as of",
            f"{status.usage_hour:%b %d}" if status.usage_hour else "—",
            delta=f"{status.usage_hour:%H:%M} UTC, {ago(usage_end, now=now)}"
            if status.usage_hour and usage_end
            else None,
            delta_color="off",
            delta_arrow="off",
            help="Start of the newest stored usage hour (UTC), across every source.",
        ),
        kpis.Kpi(
            "Costs as of",
            f"{status.cost_date:%b %d}" if status.cost_date else "—",
            help="The newest charged day (UTC), across every delivery.",
        ),
        kpis.Kpi(
            "Stale recommendations",
            f"{stale.stale} of {stale.open_total}",
            delta_arrow="off",
            help="Open recommendations computed on usage ending more than two refresh "
            "intervals ago.",
        ),
    ]


if status.services == 0:
    st.info(
        "No services yet: the database is empty. "
        + states.SEED_HINT
        + " Or upload a FOCUS billing export below.",
        icon=":material/inventory_2:",
    )
kpis.kpi_row(_kpi_cards(jobs, stale))
st.subheader("Jobs", anchor=False)
st.caption(
    f"The sidecar (`python -m jobs run`) runs each job every {interval_minutes} min; "
    "Run now queues a run it picks up within a minute (nothing heavy runs in this page)."
)
show_jobs(sessions, jobs, now=now, refresh_interval_minutes=interval_minutes)
if stale.stale:
    show_stale_recommendations(
        stale,
        data_sources_queries.stale_recommendation_list(sessions, stale.cutoff),
        refresh_interval_minutes=interval_minutes,
    )
st.subheader("Sources", anchor=False)
show_sources(
    data_sources_queries.usage_freshness(sessions),
    data_sources_queries.cost_freshness(sessions),
    settings,
    jobs=jobs,
    now=now,
)
st.subheader("Kubernetes discovery", anchor=False)
show_kubernetes(data_sources_queries.kube_discovery(sessions), now=now)
st.subheader("Kubernetes allocation (modelled)", anchor=False)
since = now.date() - timedelta(days=settings.kube_allocation_days - 1)
show_kube_allocation(data_sources_queries.kube_allocations(sessions, since))
st.subheader("Upload a FOCUS file", anchor=False)
show_upload(sessions)
st.subheader("Ingested files", anchor=False)
show_ingested(data_sources_queries.ingested_files(sessions))
show_webhooks(sessions, settings, now=now)
st.divider()
states.freshness_line(status, now=now)
