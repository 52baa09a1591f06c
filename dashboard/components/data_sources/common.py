"""Shared by the Data sources sections: freshness badges, ages, redacted URLs, CSV export."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import streamlit as st

from dashboard.components import export

# Icon + word, so colour is never the only signal.
FRESH = "✓ Fresh"
STALE = "⚠ Stale"
NEVER = "○ Never"
BADGE_HELP = "Fresh: newer than two refresh intervals. Stale: older. Never: no data or run yet."


def stale_after(refresh_interval_minutes: int) -> timedelta:
    """Inputs older than two refresh intervals are stale (the banner's rule, ux.md)."""
    return timedelta(minutes=2 * refresh_interval_minutes)


def badge(as_of: datetime | None, *, now: datetime, refresh_interval_minutes: int) -> str:
    """Fresh / Stale / Never for data (or a success) as of `as_of`."""
    if as_of is None:
        return NEVER
    return STALE if now - as_of > stale_after(refresh_interval_minutes) else FRESH


def ago(moment: datetime | None, *, now: datetime) -> str:
    """`12 min ago`, `3.5 h ago`, `4 d ago`; `in 20 min` for the future; `—` for nothing."""
    if moment is None:
        return "—"
    seconds = (now - moment).total_seconds()
    future, seconds = seconds < 0, abs(seconds)
    if seconds < 60:
        span = "under a minute"
    elif seconds < 3600:
        span = f"{seconds / 60:.0f} min"
    elif seconds < 48 * 3600:
        span = f"{seconds / 3600:.1f} h"
    else:
        span = f"{seconds / 86400:.0f} d"
    return f"in {span}" if future else f"{span} ago"


def plural(count: int, noun: str) -> str:
    """`1 kind of error`, `2 kinds of error`: the first word takes the plural."""
    first, _, rest = noun.partition(" ")
    word = first if count == 1 else f"{first}s"
    return f"{count:,} {word}{' ' + rest if rest else ''}"


def when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment is not None else "—"


def redacted_url(url: str) -> str:
    """Scheme, host and path only: user, password, query and fragment never reach the page."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def export_button(frame: pd.DataFrame, *, label: str, file_name: str, key: str) -> None:
    """A CSV download of `frame` (formula-safe, built on click)."""
    st.download_button(
        label,
        data=lambda: export.to_csv_bytes(frame),
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
        disabled=frame.empty,
    )
