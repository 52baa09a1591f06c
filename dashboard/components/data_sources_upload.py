"""FOCUS upload: validate the uploaded bytes (nothing written), show the report, then ingest.

A file with errors cannot be ingested from here, and a load the connector refuses leaves the
cost tables exactly as they were (the connector's guarantee; the page shows the row counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session, sessionmaker
from streamlit.runtime.uploaded_file_manager import UploadedFile

from dashboard import actions, data_sources_queries, deps
from dashboard.components import formats
from dashboard.components.data_sources_common import export_button, plural
from dashboard.components.data_sources_connectors import totals_text
from data.connectors.focus import (
    AllocationRules,
    FocusIngestError,
    IngestLimits,
    IngestReport,
    ValidationReport,
    ingest_file,
    validate_file,
)
from data.repos.job_status import cost_freshness

UPLOAD_SOURCE = "upload"
# An upload is at most server.maxUploadSize MB; its decompressed text is capped well below
# the connector's default, so a gzip bomb stops early (threats 18, 20).
UPLOAD_LIMITS = IngestLimits(max_text_bytes=2 * 1024**3)
RULES = AllocationRules()
MAX_LISTED = 5  # errors spelled out in the verdict; the table below lists them all
_REPORT = "ds_upload_report"
_RESULT = "ds_upload_result"


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What the last Ingest click did, shown once after the page reloads its data."""

    kind: Literal["loaded", "already", "refused"]
    message: str


def show_upload(sessions: sessionmaker[Session]) -> None:
    """Uploader → validation report → Ingest button; the last ingest's outcome on top."""
    _show_outcome()
    limit_mb = st.get_option("server.maxUploadSize")
    uploaded = st.file_uploader(
        "FOCUS billing file (CSV, CSV.gz or Parquet; FOCUS 1.0–1.3)",
        type=["csv", "gz", "parquet"],
        key="ds_upload",
        help=f"Up to {limit_mb} MB. The content decides the format, never the file name; "
        "the file is validated first and nothing is written until you press Ingest.",
    )
    if uploaded is None:
        st.session_state.pop(_REPORT, None)
        return
    report = _validated(uploaded)
    show_report(report)
    _ingest_button(sessions, report, uploaded)


def show_report(report: ValidationReport) -> None:
    """The validation report an analyst can act on: verdict, counts, totals, findings."""
    name = formats.escape_markdown(report.file_name)
    if report.ok:
        st.success(
            f"**{name}** is a valid FOCUS {report.focus_version or ''} file: "
            f"{plural(report.rows_read, 'row')}, "
            + (
                f"{plural(len(report.warnings), 'kind of warning')} (listed below). "
                if report.warnings
                else "no warnings. "
            )
            + "Nothing is written until you press Ingest.",
            icon=":material/task_alt:",
        )
    else:
        st.error(
            f"**{name}** cannot be ingested: {plural(len(report.errors), 'kind of error')}. "
            "Nothing was written to the database; fix the file and upload it again.\n\n"
            + "\n".join(
                f"- {formats.escape_markdown(finding.describe())}"
                for finding in report.errors[:MAX_LISTED]
            ),
            icon=":material/block:",
        )
    cols = st.columns(4)
    cols[0].metric("Rows read", f"{report.rows_read:,}", border=True)
    cols[1].metric("Format", report.content_kind or "unknown", border=True)
    cols[2].metric("FOCUS version", report.focus_version or "—", border=True)
    cols[3].metric("Billing periods", f"{len(report.partitions):,}", border=True)
    _totals(report)
    _partitions(report)
    _findings(report)


def totals_frame(report: ValidationReport) -> pd.DataFrame:
    rows = [
        {
            "currency": t.billing_currency,
            "billed_cost": float(t.billed_cost),
            "effective_cost": float(t.effective_cost),
            "list_cost": float(t.list_cost),
            "unallocated_effective_cost": float(t.unallocated_effective_cost),
            "rows": t.rows,
        }
        for t in report.totals
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "currency",
            "billed_cost",
            "effective_cost",
            "list_cost",
            "unallocated_effective_cost",
            "rows",
        ],
    )


def findings_frame(report: ValidationReport) -> pd.DataFrame:
    """Errors first, then warnings: what, where (column, example rows), how many, the values."""
    rows = [
        {
            "severity": "✗ Error" if finding.severity == "error" else "⚠ Warning",
            "problem": finding.message,
            "column": finding.column or "—",
            "rows_affected": finding.count,
            "example_rows": ", ".join(f"{r:,}" for r in finding.rows) or "—",
            "example_values": ", ".join(finding.values) or "—",
            "code": finding.code,
        }
        for finding in (*report.errors, *report.warnings)
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "severity",
            "problem",
            "column",
            "rows_affected",
            "example_rows",
            "example_values",
            "code",
        ],
    )


def _validated(uploaded: UploadedFile) -> ValidationReport:
    """Validate once per uploaded file: reruns reuse the report without copying the bytes."""
    file_id = uploaded.file_id or uploaded.name
    kept = st.session_state.get(_REPORT)
    if kept is not None and kept[0] == file_id:
        report: ValidationReport = kept[1]
        return report
    data, name = uploaded.getvalue(), uploaded.name
    with st.status(f"Validating {name} ({len(data) / 1e6:,.1f} MB)…", expanded=False) as status:
        report = validate_file(data, name=name, rules=RULES, limits=UPLOAD_LIMITS)
        verdict = "valid" if report.ok else plural(len(report.errors), "kind of error")
        status.update(label=f"Checked {name}: {verdict}", state="complete")
    st.session_state[_REPORT] = (file_id, report)
    return report


def _totals(report: ValidationReport) -> None:
    frame = totals_frame(report)
    if frame.empty:
        return
    st.markdown("**Totals per billing currency** (never added across currencies)")
    money = {
        column: st.column_config.NumberColumn(title, format="%.2f")
        for column, title in (
            ("billed_cost", "Billed cost"),
            ("effective_cost", "Effective cost"),
            ("list_cost", "List cost"),
            ("unallocated_effective_cost", "Unallocated (effective)"),
        )
    }
    st.dataframe(
        frame,
        column_config={
            "currency": st.column_config.TextColumn("Currency"),
            **money,
            "rows": st.column_config.NumberColumn("Rows", format="%d"),
        },
        hide_index=True,
        key="ds_report_totals",
    )
    export_button(
        frame,
        label="Export totals (CSV)",
        file_name="tightrope-upload-totals.csv",
        key="ds_report_totals_export",
    )


def _partitions(report: ValidationReport) -> None:
    if not report.partitions:
        return
    frame = pd.DataFrame(
        [
            {
                "billing_account_id": p.billing_account_id,
                "period": f"{p.billing_period_start:%Y-%m-%d} – {p.billing_period_end:%Y-%m-%d}",
                "rows": p.rows,
            }
            for p in report.partitions
        ]
    )
    st.markdown(
        "**Billing periods delivered** — ingesting replaces what earlier uploads loaded for "
        "the same account and period (a restatement), never adds to it"
    )
    st.dataframe(
        frame,
        column_config={
            "billing_account_id": st.column_config.TextColumn("Billing account"),
            "period": st.column_config.TextColumn("Billing period (UTC)"),
            "rows": st.column_config.NumberColumn("Rows", format="%d"),
        },
        hide_index=True,
        key="ds_report_partitions",
    )
    export_button(
        frame,
        label="Export billing periods (CSV)",
        file_name="tightrope-upload-periods.csv",
        key="ds_report_partitions_export",
    )


def _findings(report: ValidationReport) -> None:
    frame = findings_frame(report)
    if frame.empty:
        st.caption("No error or warning found.")
        return
    st.markdown("**Errors and warnings** (rows are 1-based data rows, the header excluded)")
    st.dataframe(
        frame,
        column_config={
            "severity": st.column_config.TextColumn("Severity"),
            "problem": st.column_config.TextColumn("Problem", width="large"),
            "column": st.column_config.TextColumn("Column"),
            "rows_affected": st.column_config.NumberColumn("Rows affected", format="%d"),
            "example_rows": st.column_config.TextColumn("Example rows"),
            "example_values": st.column_config.TextColumn("Example values"),
            "code": st.column_config.TextColumn("Code"),
        },
        hide_index=True,
        key="ds_report_findings",
    )
    export_button(
        frame,
        label="Export findings (CSV)",
        file_name="tightrope-upload-findings.csv",
        key="ds_report_findings_export",
    )


def _ingest_button(
    sessions: sessionmaker[Session], report: ValidationReport, uploaded: UploadedFile
) -> None:
    refusal = actions.refusal("analyst", "ingesting billing data")
    blocked = refusal or (None if report.ok else "The file has errors: fix them and upload again.")
    clicked = st.button(
        "Ingest",
        key="ds_ingest",
        type="primary",
        icon=":material/upload:",
        disabled=blocked is not None,
        help=blocked or f"Load {report.rows_read:,} rows as source “{UPLOAD_SOURCE}”.",
    )
    if not clicked:
        return
    with st.status(f"Ingesting {report.file_name}…", expanded=True) as status:
        outcome = _ingest(sessions, report, uploaded.getvalue())
        status.update(label=outcome.message.split(":")[0], state="complete")
    st.session_state[_RESULT] = outcome
    data_sources_queries.clear()
    st.rerun()


def _ingest(
    sessions: sessionmaker[Session], report: ValidationReport, data: bytes
) -> IngestOutcome:
    before = _cost_rows(sessions)
    try:
        result = ingest_file(
            sessions,
            data,
            source=UPLOAD_SOURCE,
            rules=RULES,
            now=deps.now(),
            name=report.file_name,
            limits=UPLOAD_LIMITS,
        )
    except FocusIngestError as error:
        after = _cost_rows(sessions)
        unchanged = "unchanged" if after == before else "CHANGED — report this"
        return IngestOutcome(
            "refused",
            f"Not ingested: {error}. The cost data is {unchanged}: {before:,} daily cost rows "
            f"before, {after:,} after.",
        )
    return _loaded(result)


def _loaded(result: IngestReport) -> IngestOutcome:
    if result.status == "already_ingested":
        return IngestOutcome(
            "already",
            f"Already ingested: {result.file_name} has the same content as delivery "
            f"#{result.ingested_file_id}; nothing changed.",
        )
    replaced = (
        f" It replaced deliveries {', '.join(f'#{i}' for i in result.replaced_file_ids)} for the "
        "same billing periods."
        if result.replaced_file_ids
        else ""
    )
    return IngestOutcome(
        "loaded",
        f"Ingested {result.file_name}: {result.rows_read:,} rows → {result.cost_rows:,} daily "
        f"cost rows (delivery #{result.ingested_file_id}), effective cost "
        f"{totals_text(result.totals)}.{replaced}{_warnings_text(result)}",
    )


def _warnings_text(result: IngestReport) -> str:
    if not result.warnings:
        return ""
    shown = "; ".join(finding.describe() for finding in result.warnings[:MAX_LISTED])
    return f" {plural(len(result.warnings), 'warning')}: {shown}."


def _show_outcome() -> None:
    outcome: IngestOutcome | None = st.session_state.pop(_RESULT, None)
    if outcome is None:
        return
    text = formats.escape_markdown(outcome.message)
    if outcome.kind == "loaded":
        st.success(text, icon=":material/check_circle:")
    elif outcome.kind == "already":
        st.info(text, icon=":material/content_copy:")
    else:
        st.error(text, icon=":material/block:")


def _cost_rows(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return sum(source.rows for source in cost_freshness(session))
