"""FOCUS upload: the files uploaded together are one delivery (decision 011) — validated first
(nothing written), reported, then ingested whole or not at all.

A delivery with errors or missing parts cannot be ingested from here, and a load the connector
refuses leaves the cost tables exactly as they were (the connector's guarantee; the page shows
the row counts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import streamlit as st
from sqlalchemy.orm import Session, sessionmaker
from streamlit.runtime.uploaded_file_manager import UploadedFile

from dashboard import actions, deps
from dashboard.components import formats
from dashboard.components.data_sources.common import plural
from dashboard.components.data_sources.connectors import totals_text
from dashboard.components.data_sources.report import MAX_LISTED, show_report
from dashboard.queries import data_sources as data_sources_queries
from data.connectors.focus import (
    AllocationRules,
    FocusIngestError,
    IngestLimits,
    IngestReport,
    PartFile,
    PlannedDelivery,
    ValidationReport,
    plan_upload,
    validate_delivery,
)
from data.connectors.focus.references import service_references
from data.errors import Forbidden
from data.repos.job_status import cost_freshness
from data.upload_actions import INGEST, UploadDesk

UPLOAD_SOURCE = "upload"
# An upload is at most server.maxUploadSize MB; its decompressed text is capped well below
# the connector's default, so a gzip bomb stops early (threats 18, 20).
UPLOAD_LIMITS = IngestLimits(max_text_bytes=2 * 1024**3)
RULES = AllocationRules()
_REPORT = "ds_upload_report"
_RESULT = "ds_upload_result"


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What the last Ingest click did, shown once after the page reloads its data."""

    kind: Literal["loaded", "already", "outdated", "refused"]
    message: str


def show_upload(sessions: sessionmaker[Session]) -> None:
    """Uploader → validation report → Ingest button; the last ingest's outcome on top."""
    _show_outcome()
    limit_mb = st.get_option("server.maxUploadSize")
    uploaded = st.file_uploader(
        "FOCUS billing files (CSV, CSV.gz or Parquet; FOCUS 1.0–1.3) — the files of one export "
        "together, with its manifest if it has one",
        type=["csv", "gz", "parquet", "json"],
        accept_multiple_files=True,
        key="ds_upload",
        help=f"Up to {limit_mb} MB each. Files uploaded together are one delivery: their rows "
        "are added up, and together they replace what was stored for their billing periods. "
        "The content decides the format, never the file name; nothing is written until you "
        "press Ingest.",
    )
    if not uploaded:
        st.session_state.pop(_REPORT, None)
        return
    planned = _planned(uploaded)
    report = _validated(sessions, uploaded, planned)
    show_report(report, parts=len(planned.parts))
    _ingest_button(sessions, report, planned)


def _planned(uploaded: Sequence[UploadedFile]) -> PlannedDelivery:
    return plan_upload([PartFile(file.name, file.getvalue()) for file in uploaded])


def _validated(
    sessions: sessionmaker[Session], uploaded: Sequence[UploadedFile], planned: PlannedDelivery
) -> ValidationReport:
    """Validate once per set of uploaded files (reruns reuse the report), against the service
    catalog, so its unallocated total and warnings are what ingest will store."""
    key = tuple(file.file_id or file.name for file in uploaded)
    kept = st.session_state.get(_REPORT)
    if kept is not None and kept[0] == key:
        report: ValidationReport = kept[1]
        return report
    size_mb = sum(part.size_bytes for part in planned.parts) / 1e6
    with st.status(f"Validating {planned.name} ({size_mb:,.1f} MB)…", expanded=False) as status:
        with sessions() as session:
            known = service_references(session)
        report = validate_delivery(planned, rules=RULES, limits=UPLOAD_LIMITS, known_services=known)
        verdict = "valid" if report.ok else plural(len(report.errors), "kind of error")
        status.update(label=f"Checked {planned.name}: {verdict}", state="complete")
    st.session_state[_REPORT] = (key, report)
    return report


def _ingest_button(
    sessions: sessionmaker[Session], report: ValidationReport, planned: PlannedDelivery
) -> None:
    refusal = actions.refusal(INGEST, "ingesting billing data")
    blocked = refusal or (None if report.ok else "The delivery has errors: fix them first.")
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
        outcome = _ingest(sessions, planned)
        status.update(label=outcome.message.split(":")[0], state="complete")
    st.session_state[_RESULT] = outcome
    data_sources_queries.clear()
    st.rerun()


def _ingest(sessions: sessionmaker[Session], planned: PlannedDelivery) -> IngestOutcome:
    before = _cost_rows(sessions)
    desk = UploadDesk(sessions, actions.policy())
    try:
        result = desk.ingest(
            actions.actor(), planned, source=UPLOAD_SOURCE, rules=RULES, limits=UPLOAD_LIMITS,
            now=deps.now(),
        )  # fmt: skip
    except Forbidden as error:
        return IngestOutcome("refused", actions.refused(error).message)
    except FocusIngestError as error:  # held (parts missing) or refused: nothing written
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
    if result.status == "outdated":
        return IngestOutcome(
            "outdated",
            f"Not loaded: {result.file_name} is older than what is stored, which was kept "
            f"({'; '.join(result.notes)}).",
        )
    replaced = (
        f" It replaced deliveries {', '.join(f'#{i}' for i in result.replaced_file_ids)} for the "
        "same billing periods."
        if result.replaced_file_ids
        else ""
    )
    kept = f" {' '.join(result.notes)}." if result.notes else ""
    return IngestOutcome(
        "loaded",
        f"Ingested {result.file_name}: {result.rows_read:,} rows → {result.cost_rows:,} daily "
        f"cost rows (delivery #{result.ingested_file_id}), effective cost "
        f"{totals_text(result.totals)}.{replaced}{kept}{_warnings_text(result)}",
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
    elif outcome.kind in ("already", "outdated"):
        st.info(text, icon=":material/content_copy:")
    else:
        st.error(text, icon=":material/block:")


def _cost_rows(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return sum(source.rows for source in cost_freshness(session))
