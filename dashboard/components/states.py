"""First-run and freshness notices: empty states, the stale banner and the as-of line."""

from __future__ import annotations

from datetime import datetime, timedelta

import streamlit as st

from data.repos.fleet import FleetStatus

SEED_HINT = (
    "Run `make run` from the repository root: it migrates the database, seeds the demo fleet "
    "when the database is empty and starts the dashboard. To (re)load only the demo fleet, "
    "run `make seed`."
)


def ready(status: FleetStatus) -> bool:
    return status.schema_ready and status.services > 0 and status.newest_day is not None


def empty_state(status: FleetStatus) -> None:
    """Explain what is missing and the exact command that fixes it."""
    if not status.schema_ready:
        st.warning(
            "The database has no Tightrope tables yet (TIGHTROPE_DATABASE_URL points at an "
            "unmigrated database).",
            icon=":material/database:",
        )
    elif status.services == 0:
        st.info(
            "No services yet: the database is empty. Load the demo fleet, or connect FOCUS "
            "billing exports and Prometheus.",
            icon=":material/inventory_2:",
        )
    else:
        st.info(
            f"{status.services} services are catalogued but there is no cost or usage data yet.",
            icon=":material/hourglass_empty:",
        )
    st.markdown(SEED_HINT)


def stale_banner(status: FleetStatus, *, refresh_interval_minutes: int, now: datetime) -> None:
    """Warn at the top when usage is older than two refresh intervals."""
    if status.usage_end is None:
        return
    age = now - status.usage_end
    if age > timedelta(minutes=2 * refresh_interval_minutes):
        hours = age.total_seconds() / 3600
        st.warning(
            f"Usage data is stale: the newest hour ended {hours:,.0f} h ago "
            f"({status.usage_end:%Y-%m-%d %H:%M} UTC), more than two refresh intervals "
            f"({refresh_interval_minutes} min each). Figures below are as of that time.",
            icon=":material/schedule:",
        )


def freshness_line(status: FleetStatus, *, now: datetime) -> None:
    """The as-of line at the bottom of a page; it names a partial day left out of the figures."""
    complete = status.as_of(now) if status.cost_date else None
    costs = f"complete through {complete:%Y-%m-%d}" if complete else "no cost data"
    partial = status.partial_day(now)
    if partial is not None:
        costs += f" ({partial:%Y-%m-%d} is still in progress: its partial cost is left out)"
    usage = f"{status.usage_hour:%Y-%m-%d %H:%M} UTC" if status.usage_hour else "no usage data"
    st.caption(f"Costs {costs}; usage as of {usage}. All times UTC.")
