"""The sidecar's jobs: a table of their runs and freshness, and "Run now" (enqueue only)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from dashboard import actions, deps
from dashboard.components import formats, tables
from dashboard.components.data_sources.common import (
    BADGE_HELP,
    ago,
    badge,
    export_button,
    when,
)
from dashboard.queries import data_sources as data_sources_queries
from data.errors import DataError
from data.job_actions import RUN_NOW, JobDesk
from data.repos.job_status import JobStatus

# The sidecar's jobs (jobs.definitions.default_jobs), in run order. The dashboard may not
# import jobs (layers contract), so names are repeated here; a job the ledger knows beyond
# these is still listed under its own name.
JOB_LABELS = {
    "discover_workloads": "Discover Kubernetes workloads",
    "collect_usage": "Collect usage",
    "collect_workload_stats": "Collect Kubernetes workload statistics",
    "rollup_usage": "Roll up the pages' 7-day usage",
    "refresh_costs": "Refresh costs",
    "rollup_costs": "Roll up the forecasts' cost series",
    "recompute": "Recompute recommendations",
    "check_budgets": "Check budgets",
    "detect_anomalies": "Detect cost anomalies",
    "expire_stale": "Expire stale recommendations",
    "prune_webhooks": "Prune the webhook outbox",
}
JOB_HELP = {
    "discover_workloads": "Workloads and nodes from kube-state-metrics in Prometheus (when "
    "configured): new ones become services, gone ones are retired; then node cost is "
    "re-allocated over workloads (modelled).",
    "collect_usage": "Hourly usage since the last run: from Prometheus when configured, "
    "else the demo fleet's live feed. A run that stores some services but not all ends "
    "partial; the others keep their older data and are retried next run.",
    "collect_workload_stats": "Discovered workloads' hourly usage (new whole hours) and each "
    "container's CPU p95 and memory max over the sizing window; 'partial: N of M' when a "
    "query failed.",
    "rollup_usage": "Each service's 7-day CPU p95 (in cores) for the Services and Service "
    "detail pages, which rank the hourly rows themselves while it is older than the newest "
    "usage hour.",
    "refresh_costs": "New FOCUS files from the billing directory (each once) and the billing "
    "API's open months; on the demo fleet, its month-to-date export restated.",
    "rollup_costs": "The fleet's and each team's daily cost (120 days) behind the Overview's "
    "and the budgets' forecasts, which sum the cost rows themselves once costs or services "
    "change.",
    "recompute": "Every rule for every service on the newest usage.",
    "check_budgets": "This month's budgets against month-to-date cost and forecast.",
    "detect_anomalies": "Robust z-score anomalies on each service's daily cost, last week.",
    "expire_stale": "Open recommendations of services whose usage stopped expire.",
    "prune_webhooks": "Webhook events whose every delivery was delivered or gave up, with "
    "their delivery log, once older than the retention (TIGHTROPE_WEBHOOK_RETENTION_DAYS).",
}
QUEUED_HINT = "the sidecar picks it up within a minute"
SIDECAR_SLOW_AFTER = timedelta(minutes=5)
HOUR = timedelta(hours=1)
# A fire may start this late with nothing wrong: the sidecar runs jobs one at a time (a long
# recompute delays the rest) and APScheduler still runs a job that late (misfire_grace_time
# in jobs/scheduler.py, which the dashboard may not import).
OVERDUE_GRACE = timedelta(minutes=15)
_FEEDBACK = "ds_run_feedback"


@dataclass(frozen=True, slots=True)
class RunFeedback:
    """What the last "Run now" click did, shown once."""

    kind: Literal["queued", "already", "refused"]
    message: str


def label(job: str) -> str:
    return JOB_LABELS.get(job, job)


def next_run(status: JobStatus, *, interval: timedelta) -> datetime | None:
    """When the sidecar's schedule next runs the job on new data (None before the first
    success). Its trigger fires every `interval` from the newest run's start, and a fire
    writes a run only once the hour after the last successful window has begun: scheduled
    windows end on the hour, so a fire within the same hour finds nothing to do."""
    success = status.last_success
    if success is None or success.window_end is None:
        return None
    fired = (status.last_run or success).started_at
    new_data_from = success.window_end.replace(minute=0, second=0, microsecond=0) + HOUR
    fires = max(1, math.ceil((new_data_from - fired) / interval))
    return fired + fires * interval


def jobs_frame(
    statuses: Sequence[JobStatus], *, now: datetime, refresh_interval_minutes: int
) -> pd.DataFrame:
    """One row per job, every value already in words and units."""
    interval = timedelta(minutes=refresh_interval_minutes)
    rows = []
    for status in statuses:
        success, error, last = status.last_success, status.last_error, status.last_run
        due = next_run(status, interval=interval)
        rows.append(
            {
                "job": label(status.job),
                "freshness": badge(
                    success.window_end if success else None,
                    now=now,
                    refresh_interval_minutes=refresh_interval_minutes,
                ),
                "last_success": ago(success.finished_at, now=now) if success else "never",
                "last_run": f"{last.status}, {ago(last.started_at, now=now)}" if last else "—",
                "rows": last.rows if last else None,
                "duration_s": last.duration_s if last else None,
                "next_run": _next_run_text(due, now),
                "run_now": _queued(status, now),
                "runs_24h": _runs_text(status),
                "data_up_to": when(success.window_end if success else None),
                # Last: the only long text, so the figures stay in view on a laptop screen.
                "last_error": (
                    f"{ago(error.started_at, now=now)}: {error.error or 'no message'}"
                    if error
                    else "—"
                ),
            }
        )
    return pd.DataFrame(rows)


def show_jobs(
    sessions: sessionmaker[Session],
    statuses: Sequence[JobStatus],
    *,
    now: datetime,
    refresh_interval_minutes: int,
) -> None:
    """The jobs table, its export, a Run now button per job and the last click's outcome."""
    frame = jobs_frame(statuses, now=now, refresh_interval_minutes=refresh_interval_minutes)
    tables.grid(
        frame,
        column_config=_COLUMNS,
        hide_index=True,
        key="ds_jobs_table",
    )
    export_button(
        frame, label="Export jobs (CSV)", file_name="tightrope-jobs.csv", key="ds_jobs_export"
    )
    _run_now_buttons(sessions, statuses)
    _show_feedback()
    _warn_when_unclaimed(statuses, now=now)


def _run_now_buttons(sessions: sessionmaker[Session], statuses: Sequence[JobStatus]) -> None:
    """One "Run now" button per job, each as wide as its label (fixed columns cut "Recompute
    reco…" at 1,000 px), wrapping onto as many rows as the width needs."""
    refusal = actions.refusal(RUN_NOW, "running a job now")
    st.markdown("**Run now**")
    with st.container(horizontal=True, wrap=True):
        for status in statuses:
            st.button(
                label(status.job),
                key=f"ds_run_{status.job}",
                icon=":material/play_arrow:",
                help=refusal
                or f"{JOB_HELP.get(status.job, label(status.job))} Run now queues it; "
                f"{QUEUED_HINT}.",
                disabled=refusal is not None,
                on_click=_request,
                args=(sessions, status.job),
                width="content",
            )


def _request(sessions: sessionmaker[Session], job: str) -> None:
    """Button callback: queue `job` once (a pending request is reported, not duplicated)."""
    try:
        queued = JobDesk(sessions, actions.policy()).run_now(actions.actor(), job, now=deps.now())
    except DataError as error:
        st.session_state[_FEEDBACK] = RunFeedback("refused", actions.refused(error).message)
        return
    finally:
        data_sources_queries.clear()
    name, request_id, waiting = label(job), queued.request_id, queued.waiting
    if waiting is not None:
        message = (
            f"{name} is already queued (request #{request_id}, by {waiting.requested_by} at "
            f"{waiting.requested_at:%H:%M} UTC) — {QUEUED_HINT}."
        )
        st.session_state[_FEEDBACK] = RunFeedback("already", message)
        return
    st.session_state[_FEEDBACK] = RunFeedback(
        "queued", f"{name} queued (request #{request_id}) — {QUEUED_HINT}."
    )


def _show_feedback() -> None:
    feedback: RunFeedback | None = st.session_state.pop(_FEEDBACK, None)
    if feedback is None:
        return
    text = formats.escape_markdown(feedback.message)
    if feedback.kind == "queued":
        st.success(text, icon=":material/schedule_send:")
    elif feedback.kind == "already":
        st.info(text, icon=":material/hourglass_top:")
    else:
        st.warning(text, icon=":material/warning:")


def _warn_when_unclaimed(statuses: Sequence[JobStatus], *, now: datetime) -> None:
    """A request nobody claims for minutes means no sidecar is polling the queue."""
    waiting = [
        s for s in statuses if s.pending and now - s.pending.requested_at > SIDECAR_SLOW_AFTER
    ]
    if waiting:
        names = ", ".join(label(s.job) for s in waiting)
        st.warning(
            f"Queued for more than {SIDECAR_SLOW_AFTER.seconds // 60} minutes and not picked up: "
            f"{names}. Is the sidecar running? Start it with `python -m jobs run` (or `make run`).",
            icon=":material/running_with_errors:",
        )


def _runs_text(status: JobStatus) -> str:
    """ "12 (1 failed)", or "12 (1 failed, 2 partial)" once a run stored only part of its work."""
    partial = f", {status.partial_24h} partial" if status.partial_24h else ""
    return f"{status.runs_24h} ({status.failures_24h} failed{partial})"


def _queued(status: JobStatus, now: datetime) -> str:
    pending = status.pending
    if pending is None:
        return ""
    return f"queued by {pending.requested_by} {ago(pending.requested_at, now=now)}"


def _next_run_text(due: datetime | None, now: datetime) -> str:
    if due is None:
        return "at the sidecar's next tick"
    at = f"({due:%H:%M} UTC)"
    if now - due > OVERDUE_GRACE:
        return f"overdue by {ago(due, now=now).removesuffix(' ago')} {at}"
    if due < now:
        return f"due {ago(due, now=now)} {at}"
    return f"{ago(due, now=now)} {at}"


_COLUMNS = {
    "job": st.column_config.TextColumn("Job", pinned=True),
    "freshness": st.column_config.TextColumn("Freshness", help=BADGE_HELP),
    "last_success": st.column_config.TextColumn("Last success"),
    "last_run": st.column_config.TextColumn("Last run"),
    "run_now": st.column_config.TextColumn("Run now", help="A queued Run now request."),
    "next_run": st.column_config.TextColumn(
        "Next run (expected)",
        help="The sidecar's next scheduled run on new data: a refresh interval after its "
        "last run, once the hour after the data it last processed has begun. Overdue "
        f"{OVERDUE_GRACE.seconds // 60} min after that: is the sidecar running?",
    ),
    "rows": st.column_config.NumberColumn("Rows", format="%d", help="Rows the last run wrote."),
    "duration_s": st.column_config.NumberColumn(
        "Duration", format="%.1f s", help="How long the last run took."
    ),
    "runs_24h": st.column_config.TextColumn("Runs (24 h)"),
    "data_up_to": st.column_config.TextColumn(
        "Data up to", help="End of the window the last successful run processed."
    ),
    "last_error": st.column_config.TextColumn(
        "Last error",
        width="large",
        help="The newest failed run's error, or a partial run's shortfall (\"partial: 800 of "
        '1,000 services": the others keep their older data and are retried next run).',
    ),
}
