"""Where the data comes from: usage and cost sources with their freshness, configured
connectors (never their credentials), the ingested billing files, and stale recommendations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.components import formats, tables
from dashboard.components.data_sources.common import (
    BADGE_HELP,
    ago,
    badge,
    export_button,
    redacted_url,
    when,
)
from data.connectors.billing_api import CREDENTIALS_INVALID
from data.connectors.billing_api import SOURCE as BILLING_API_SOURCE
from data.repos.job_status import (
    CostFreshness,
    IngestedFile,
    JobStatus,
    StaleRecommendation,
    StaleRecommendations,
    UsageFreshness,
)
from data.settings import Settings

REFRESH_COSTS = "refresh_costs"
STATUS_LABELS = {
    "loaded": "✓ Loaded",
    "superseded": "⟲ Superseded (restated)",
    "rejected": "✗ Rejected",
    "outdated": "⏸ Older than what is stored (kept out)",
}


def usage_frame(
    sources: Sequence[UsageFreshness], *, now: datetime, refresh_interval_minutes: int
) -> pd.DataFrame:
    rows = [
        {
            "source": source.source,
            "freshness": badge(
                _hour_end(source.newest_hour),
                now=now,
                refresh_interval_minutes=refresh_interval_minutes,
            ),
            "newest_hour": when(source.newest_hour),
            "age": ago(_hour_end(source.newest_hour), now=now),
            "services": source.services,
        }
        for source in sources
    ]
    return pd.DataFrame(rows, columns=["source", "freshness", "newest_hour", "age", "services"])


def cost_frame(sources: Sequence[CostFreshness]) -> pd.DataFrame:
    rows = [
        {
            "source": source.source,
            "newest_day": f"{source.newest_day:%Y-%m-%d}" if source.newest_day else "—",
            "rows": source.rows,
        }
        for source in sources
    ]
    return pd.DataFrame(rows, columns=["source", "newest_day", "rows"])


def connectors_frame(
    settings: Settings,
    *,
    api_costs: CostFreshness | None = None,
    refresh: JobStatus | None = None,
) -> pd.DataFrame:
    """What is configured, in words; URLs lose any user, password or query string.

    The billing REST API row says how its last pull went: the refresh costs job's last run
    (its error names the API when a pull failed) and the daily cost rows the API delivered.
    """
    prometheus = settings.prometheus_url
    rows = [
        {
            "connector": "Prometheus (usage)",
            "configured": "✓ Configured" if prometheus else "○ Not configured",
            "detail": _prometheus_detail(settings)
            if prometheus
            else "Usage comes from the demo fleet's live feed. Set TIGHTROPE_PROMETHEUS_URL.",
        },
        {
            "connector": "FOCUS billing directory",
            "configured": "✓ Configured" if settings.billing_directory else "○ Not configured",
            "detail": str(settings.billing_directory)
            if settings.billing_directory
            else "Upload FOCUS files below, or set TIGHTROPE_BILLING_DIRECTORY.",
        },
        {"connector": "Billing REST API", **_billing_api(settings, api_costs, refresh)},
    ]
    return pd.DataFrame(rows)


def _prometheus_detail(settings: Settings) -> str:
    """The URL and how we authenticate: modes, paths and header names, never a value."""
    mode = settings.prometheus_auth_mode()
    where = redacted_url(settings.prometheus_url or "")
    return where if mode == "no credentials" else f"{where} ({mode})"


def _billing_api(
    settings: Settings, api_costs: CostFreshness | None, refresh: JobStatus | None
) -> dict[str, str]:
    url = settings.billing_api_url
    if not url:
        return {
            "configured": "○ Not configured",
            "detail": "Set TIGHTROPE_BILLING_API_URL and TIGHTROPE_BILLING_API_KEY "
            "(docs/billing_api.md).",
        }
    where = redacted_url(url)
    if settings.billing_api_key is None:
        return {
            "configured": "✗ Credentials invalid",
            "detail": f"{where}: TIGHTROPE_BILLING_API_KEY is not set.",
        }
    failure = _api_failure(refresh)
    if failure is not None:
        invalid = CREDENTIALS_INVALID in failure
        status = "✗ Credentials invalid" if invalid else "⚠ Last pull failed"
        return {"configured": status, "detail": f"{where}: {failure}"}
    return {"configured": "✓ Configured", "detail": f"{where}: {_api_delivered(api_costs)}"}


def _api_failure(refresh: JobStatus | None) -> str | None:
    """The billing API's part of the refresh costs job's error, when its last run failed."""
    last = refresh.last_run if refresh is not None else None
    if last is None or last.status != "failed" or not last.error:
        return None
    parts = [part for part in last.error.split("; ") if part.startswith("billing API")]
    return "; ".join(parts) or None


def _api_delivered(api_costs: CostFreshness | None) -> str:
    if api_costs is None or api_costs.newest_day is None:
        return "nothing pulled yet; the refresh costs job pulls the open billing periods."
    return (
        f"newest charged day {api_costs.newest_day:%Y-%m-%d}, "
        f"{api_costs.rows:,} daily cost rows from the API."
    )


def ingested_frame(files: Sequence[IngestedFile]) -> pd.DataFrame:
    """One row per delivery; totals stay per currency (never summed across currencies)."""
    rows = [
        {
            "ingested_at": file.ingested_at,
            "file_name": file.file_name,
            "source": file.source,
            "focus_version": file.focus_version or "—",
            "status": STATUS_LABELS.get(file.status, file.status),
            "rows_read": file.rows_read,
            "rows_loaded": file.rows_loaded,
            "totals": totals_text(file.totals),
            "warnings": len(file.warnings),
            "errors": len(file.errors),
            "first_problem": _first_message(file.errors or file.warnings),
        }
        for file in files
    ]
    return pd.DataFrame(rows, columns=list(_INGESTED_COLUMNS))


def totals_text(totals: Mapping[str, Any]) -> str:
    """`$1,234.50 (effective)`, one part per currency: `$10.00; €4.20`."""
    parts = []
    for currency in sorted(totals):
        amount = _decimal(totals[currency].get("effective_cost"))
        parts.append(formats.money(float(amount), currency, decimals=2))
    return "; ".join(parts) or "—"


def show_sources(
    usage: Sequence[UsageFreshness],
    costs: Sequence[CostFreshness],
    settings: Settings,
    *,
    jobs: Sequence[JobStatus],
    now: datetime,
) -> None:
    """Usage and cost sources side by side, then the connectors (`jobs`: the page's ledger)."""
    minutes = settings.refresh_interval_minutes
    left, right = st.columns(2)
    with left:
        _source_table(
            "**Usage sources** (hourly utilization)",
            usage_frame(usage, now=now, refresh_interval_minutes=minutes),
            empty=("No usage yet: the collect usage job writes it.", ":material/timeline:"),
            columns=_USAGE_COLUMNS,
            key="ds_usage",
            label="usage sources",
        )
    with right:
        _source_table(
            "**Cost sources** (daily cost, per delivery source)",
            cost_frame(costs),
            empty=("No cost yet: upload a FOCUS file below.", ":material/payments:"),
            columns=_COST_COLUMNS,
            key="ds_costs",
            label="cost sources",
        )
    api_costs = next((c for c in costs if c.source == BILLING_API_SOURCE), None)
    refresh = next((status for status in jobs if status.job == REFRESH_COSTS), None)
    _source_table(
        "**Connectors**",
        connectors_frame(settings, api_costs=api_costs, refresh=refresh),
        empty=None,
        columns=_CONNECTOR_COLUMNS,
        key="ds_connectors",
        label="connectors",
    )


def _source_table(
    title: str,
    frame: pd.DataFrame,
    *,
    empty: tuple[str, str] | None,
    columns: dict[str, Any],
    key: str,
    label: str,
) -> None:
    """A titled table (or, when empty, what fills it) and its CSV export."""
    st.markdown(title)
    if frame.empty and empty is not None:
        st.info(empty[0], icon=empty[1])
    else:
        tables.grid(frame, column_config=columns, hide_index=True, key=key)
    export_button(
        frame,
        label=f"Export {label} (CSV)",
        file_name=f"tightrope-{label.replace(' ', '-')}.csv",
        key=f"{key}_export",
    )


def show_ingested(files: Sequence[IngestedFile]) -> None:
    frame = ingested_frame(files)
    if frame.empty:
        st.info(
            "No billing file ingested yet. Upload a FOCUS export above (or run `make seed`, "
            "which loads the demo fleet's FOCUS files).",
            icon=":material/upload_file:",
        )
    else:
        tables.grid(frame, column_config=_INGESTED_COLUMNS, hide_index=True, key="ds_ingested")
    export_button(
        frame,
        label="Export ingested files (CSV)",
        file_name="tightrope-ingested-files.csv",
        key="ds_ingested_export",
    )


def stale_frame(recs: Sequence[StaleRecommendation]) -> pd.DataFrame:
    rows = [
        {
            "recommendation": f"/recommendations?rec={rec.id}",
            "scope": rec.scope,
            "kind": rec.kind.replace("_", " "),
            "data_up_to": when(rec.window_end),
            "monthly_savings": rec.monthly_savings_usd,
            "currency": rec.currency,
        }
        for rec in recs
    ]
    columns = ["recommendation", "scope", "kind", "data_up_to", "monthly_savings", "currency"]
    return pd.DataFrame(rows, columns=columns)


def show_stale_recommendations(
    counted: StaleRecommendations,
    recs: Sequence[StaleRecommendation],
    *,
    refresh_interval_minutes: int,
) -> None:
    """Say how many open recommendations rest on old usage, and which (biggest first)."""
    if counted.stale == 0:
        return
    oldest = when(counted.oldest_window_end)
    st.warning(
        f"{counted.stale} of {counted.open_total} open recommendations were computed on usage "
        f"ending before {when(counted.cutoff)} — more than two refresh intervals "
        f"({refresh_interval_minutes} min each) ago; the oldest on data up to {oldest}. "
        "Their savings may be out of date: run Recompute (and Collect usage first if usage "
        "is stale).",
        icon=":material/update:",
    )
    with st.expander(f"Recommendations on stale data ({counted.stale})"):
        frame = stale_frame(recs)
        tables.grid(
            frame,
            column_config={
                "recommendation": st.column_config.LinkColumn(
                    "Recommendation", display_text=r"rec=(\d+)$", help="Opens it."
                ),
                "scope": st.column_config.TextColumn("Service / scope"),
                "kind": st.column_config.TextColumn("Kind"),
                "data_up_to": st.column_config.TextColumn("Computed on data up to"),
                "monthly_savings": st.column_config.NumberColumn(
                    "Monthly savings", format=tables.money_format(frame["currency"])
                ),
                "currency": st.column_config.TextColumn("Currency"),
            },
            hide_index=True,
            key="ds_stale_recs",
        )
        if counted.stale > len(recs):
            st.caption(f"The {len(recs)} with the biggest savings of {counted.stale}.")
        export_button(
            frame,
            label="Export stale recommendations (CSV)",
            file_name="tightrope-stale-recommendations.csv",
            key="ds_stale_export",
        )


def _hour_end(hour: datetime | None) -> datetime | None:
    return hour + timedelta(hours=1) if hour is not None else None


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _first_message(findings: Sequence[Mapping[str, Any]]) -> str:
    if not findings:
        return ""
    first = findings[0]
    column = f" (column {first['column']})" if first.get("column") else ""
    return f"{first.get('message', first.get('code', ''))}{column}"


_USAGE_COLUMNS = {
    "source": st.column_config.TextColumn("Source"),
    "freshness": st.column_config.TextColumn("Freshness", help=BADGE_HELP),
    "newest_hour": st.column_config.TextColumn("Newest hour"),
    "age": st.column_config.TextColumn("Age", help="Since the end of the newest hour."),
    "services": st.column_config.NumberColumn("Services", format="%d"),
}
_COST_COLUMNS = {
    "source": st.column_config.TextColumn(
        "Source", help='"direct": rows written without a recorded delivery.'
    ),
    "newest_day": st.column_config.TextColumn("Newest charged day"),
    "rows": st.column_config.NumberColumn("Daily cost rows", format="%d"),
}
_CONNECTOR_COLUMNS = {
    "connector": st.column_config.TextColumn("Connector"),
    "configured": st.column_config.TextColumn("Status"),
    "detail": st.column_config.TextColumn("Detail", width="large"),
}
_INGESTED_COLUMNS = {
    "ingested_at": st.column_config.DatetimeColumn("Ingested (UTC)", format="YYYY-MM-DD HH:mm"),
    "file_name": st.column_config.TextColumn("File"),
    "source": st.column_config.TextColumn("Source"),
    "focus_version": st.column_config.TextColumn("FOCUS"),
    "status": st.column_config.TextColumn("Status"),
    "rows_read": st.column_config.NumberColumn("Rows read", format="%d"),
    "rows_loaded": st.column_config.NumberColumn("Rows loaded", format="%d"),
    "totals": st.column_config.TextColumn("Effective cost per currency"),
    "warnings": st.column_config.NumberColumn("Warnings", format="%d"),
    "errors": st.column_config.NumberColumn("Errors", format="%d"),
    "first_problem": st.column_config.TextColumn("First problem", width="large"),
}
