"""Process-wide resources (st.cache_resource): settings, the clock, the session factory."""

from __future__ import annotations

from datetime import datetime

import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

from data.db import make_engine, make_sessions
from data.logs import configure_logging
from data.settings import Settings


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """TIGHTROPE_* settings (and .env), read once per process; logging is set up here too."""
    built = Settings()
    configure_logging(built)
    return built


def now() -> datetime:
    """The page's "now", from the one clock the settings name (never the wall clock directly)."""
    return settings().clock().now()


def _dispose(factory: sessionmaker[Session]) -> None:
    factory.kw["bind"].dispose()


@st.cache_resource(show_spinner=False, on_release=_dispose)
def sessions() -> sessionmaker[Session]:
    """One engine and session factory per process; the pool closes when the cache is cleared."""
    return make_sessions(make_engine(settings()))
