"""The validation report of an upload (one delivery of one or more files): verdict, counts,
totals per currency, the scopes it delivers and every finding; nothing here writes."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard.components import formats, tables
from dashboard.components.data_sources.common import export_button, plural
from data.connectors.focus import ValidationReport

MAX_LISTED = 5  # errors spelled out in the verdict; the table below lists them all


def show_report(report: ValidationReport, *, parts: int = 1) -> None:
    """The validation report an analyst can act on: verdict, counts, totals, findings."""
    name = formats.escape_markdown(report.file_name)
    what = "file" if parts == 1 else f"delivery of {parts} files"
    if report.ok:
        st.success(
            f"**{name}** is a valid FOCUS {report.focus_version or ''} {what}: "
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
            f"Nothing was written to the database; {_remedy(report)}.\n\n"
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


def _remedy(report: ValidationReport) -> str:
    if any(finding.code == "missing_part" for finding in report.errors):
        return "the delivery is held: upload the missing parts together with the others"
    return "fix the file and upload it again"


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
    _table(
        frame,
        {
            "currency": st.column_config.TextColumn("Currency"),
            **money,
            "rows": st.column_config.NumberColumn("Rows", format="%d"),
        },
        key="ds_report_totals",
        label="Export totals (CSV)",
        file_name="tightrope-upload-totals.csv",
    )


def _partitions(report: ValidationReport) -> None:
    if not report.partitions:
        return
    frame = pd.DataFrame(
        [
            {
                "billing_account_id": p.billing_account_id,
                "provider": p.provider,
                "period": f"{p.billing_period_start:%Y-%m-%d} – {p.billing_period_end:%Y-%m-%d}",
                "last_charge_day": f"{p.charged_through}",
                "rows": p.rows,
            }
            for p in report.partitions
        ]
    )
    st.markdown(
        "**Billing periods delivered** — ingesting replaces what any route (upload, billing "
        "directory, billing API) loaded for the same provider, account and period, unless that "
        "delivery is newer; it never adds to it"
    )
    _table(
        frame,
        {
            "billing_account_id": st.column_config.TextColumn("Billing account"),
            "provider": st.column_config.TextColumn("Provider"),
            "period": st.column_config.TextColumn("Billing period (UTC)"),
            "last_charge_day": st.column_config.TextColumn("Last charge day"),
            "rows": st.column_config.NumberColumn("Rows", format="%d"),
        },
        key="ds_report_partitions",
        label="Export billing periods (CSV)",
        file_name="tightrope-upload-periods.csv",
    )


def _findings(report: ValidationReport) -> None:
    frame = findings_frame(report)
    if frame.empty:
        st.caption("No error or warning found.")
        return
    st.markdown("**Errors and warnings** (rows are 1-based data rows, the header excluded)")
    _table(
        frame,
        {
            "severity": st.column_config.TextColumn("Severity"),
            "problem": st.column_config.TextColumn("Problem", width="large"),
            "column": st.column_config.TextColumn("Column"),
            "rows_affected": st.column_config.NumberColumn("Rows affected", format="%d"),
            "example_rows": st.column_config.TextColumn("Example rows"),
            "example_values": st.column_config.TextColumn("Example values"),
            "code": st.column_config.TextColumn("Code"),
        },
        key="ds_report_findings",
        label="Export findings (CSV)",
        file_name="tightrope-upload-findings.csv",
    )


def _table(
    frame: pd.DataFrame, columns: dict[str, Any], *, key: str, label: str, file_name: str
) -> None:
    """One part of the report: its grid, and its CSV export below it."""
    tables.grid(frame, column_config=columns, hide_index=True, key=key)
    export_button(frame, label=label, file_name=file_name, key=f"{key}_export")
