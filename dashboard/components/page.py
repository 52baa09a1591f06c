"""The opening every page shares: caption, data readiness, stale banner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from dashboard import deps
from dashboard.components import states
from dashboard.queries import fleet as queries
from data.repos.fleet import FleetStatus


@dataclass(frozen=True, slots=True)
class PageStart:
    """What a page needs once the database is known to hold a fleet."""

    sessions: sessionmaker[Session]
    status: FleetStatus
    # The last complete day with data, as of `now`: KPIs, trends and budgets end there.
    today: date
    # Read once per run, so every figure of one page is as of the same instant.
    now: datetime


def begin(caption: str) -> PageStart:
    """Show the caption; stop with the empty state if there is no data; warn when stale."""
    st.caption(caption)
    sessions = deps.sessions()
    status = queries.status(sessions)
    now = deps.now()
    today = status.as_of(now)
    if not states.ready(status) or today is None:
        states.empty_state(status)
        st.stop()
    states.stale_banner(
        status, refresh_interval_minutes=deps.settings().refresh_interval_minutes, now=now
    )
    return PageStart(sessions=sessions, status=status, today=today, now=now)
