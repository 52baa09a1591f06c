"""UploadDesk on SQLite and PostgreSQL: a FOCUS upload is role-checked and loads with its event."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from data import upload_actions
from data.connectors.focus import (
    AllocationRules,
    IngestLimits,
    IngestReport,
    PartFile,
    plan_upload,
)
from data.errors import FileRejected, Forbidden
from data.models import CostDailyRow, IngestedFileRow
from data.repos.audit import record_event
from data.upload_actions import UploadDesk
from tests.connectors.focus.builders import csv_bytes, focus_row
from tests.data.guard_world import POLICY, DiskFull, count, events, failing_after

NOW = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
FILE = csv_bytes([focus_row(), focus_row(EffectiveCost="2.50")])


def _ingest(sessions: sessionmaker[Session], actor: str) -> IngestReport:
    planned = plan_upload([PartFile("october.csv", FILE)])
    return UploadDesk(sessions, POLICY).ingest(
        actor, planned, source="upload", rules=AllocationRules(), limits=IngestLimits(), now=NOW
    )


def test_an_analyst_loads_a_delivery_with_its_audit_event(sessions: sessionmaker[Session]) -> None:
    report = _ingest(sessions, "ana")

    ((actor, action, target, target_id, detail),) = events(sessions)
    assert report.status == "loaded"
    assert (actor, action, target, target_id) == (
        "ana", "billing_ingest", "ingested_file", str(report.ingested_file_id),
    )  # fmt: skip
    assert (detail["file_name"], detail["source"]) == ("october.csv", "upload")
    assert count(sessions, CostDailyRow) > 0


def test_the_same_delivery_again_writes_no_event(sessions: sessionmaker[Session]) -> None:
    _ingest(sessions, "ana")

    again = _ingest(sessions, "ana")

    assert again.status == "already_ingested"
    assert len(events(sessions)) == 1


def test_a_viewer_cannot_upload_and_the_attempt_is_audited(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(Forbidden, match="ingesting billing data needs the analyst role"):
        _ingest(sessions, "vera")

    assert (count(sessions, CostDailyRow), count(sessions, IngestedFileRow)) == (0, 0)
    ((actor, action, target, _, detail),) = events(sessions)
    assert (actor, action, target) == ("vera", "denied", "ingested_file")
    assert (detail["attempted"], detail["source"]) == ("billing_ingest", "upload")


def test_a_failed_audit_write_loads_no_cost(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(upload_actions, "record_event", failing_after(record_event))

    with pytest.raises(DiskFull):
        _ingest(sessions, "ana")

    assert (count(sessions, CostDailyRow), count(sessions, IngestedFileRow)) == (0, 0)
    assert events(sessions) == []


def test_a_rejected_delivery_is_recorded_with_who_tried(sessions: sessionmaker[Session]) -> None:
    broken = csv_bytes([focus_row(), focus_row(EffectiveCost="not a number")])
    planned = plan_upload([PartFile("broken.csv", broken)])

    with pytest.raises(FileRejected):
        UploadDesk(sessions, POLICY).ingest(
            "ana", planned, source="upload", rules=AllocationRules(), limits=IngestLimits(),
            now=NOW,
        )  # fmt: skip

    assert count(sessions, CostDailyRow) == 0
    with sessions() as session:
        (rejected,) = session.query(IngestedFileRow).all()
    ((actor, action, target, target_id, detail),) = events(sessions)
    assert (actor, action, target) == ("ana", "billing_ingest_rejected", "ingested_file")
    assert (target_id, rejected.status) == (str(rejected.id), "rejected")
    assert detail["file_name"] == "broken.csv"
    assert "not loaded" in detail["error"]


def test_a_failed_audit_write_leaves_no_rejection_without_its_event(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(upload_actions, "record_event", failing_after(record_event))
    planned = plan_upload([PartFile("broken.csv", csv_bytes([focus_row(EffectiveCost="x")]))])

    with pytest.raises(FileRejected):
        UploadDesk(sessions, POLICY).ingest(
            "ana", planned, source="upload", rules=AllocationRules(), limits=IngestLimits(),
            now=NOW,
        )  # fmt: skip

    assert (count(sessions, IngestedFileRow), events(sessions)) == (0, [])
