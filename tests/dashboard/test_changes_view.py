"""Changes and audit frames: only changed fields in the diff; CSV safe and numeric."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pandas as pd

from dashboard.changes_view import audit_export, audit_frame, changes_export, changes_frame
from dashboard.components.export import to_csv_bytes
from data.repos.changes import AuditEvent, ConfigChange
from tests.factories import make_vm_config

AT = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
NAMES = {7: ('=HYPERLINK("http://evil.example","x")', "+team", "prod", "vm")}


def _change(**overrides: object) -> ConfigChange:
    values: dict[str, object] = {
        "id": 3,
        "service_id": 7,
        "service_slug": "-2+3",
        "recommendation_id": 11,
        "before": make_vm_config(),
        "after": make_vm_config(instance_type="m5a.large", replicas=2),
        "status": "applied",
        "actor": "@admin",
        "reason": "line one\r\nline two",
        "applied_at": AT,
        "rolled_back_at": None,
        "rolled_back_by": None,
    }
    values.update(overrides)
    return ConfigChange(**values)  # type: ignore[arg-type]


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_the_diff_names_only_the_fields_that_changed() -> None:
    frame = changes_frame([_change()], NAMES)

    assert frame["changed"].tolist() == ["Instance type: m5.large → m5a.large; Replicas: 3 → 2"]
    assert frame["recommendation_link"].tolist() == ["/recommendations?rec=11"]


def test_changes_csv_neutralises_formulas_and_keeps_ids_numeric() -> None:
    exported = changes_export(changes_frame([_change()], NAMES))

    rows = _rows(to_csv_bytes(exported))
    back = pd.read_csv(io.BytesIO(to_csv_bytes(exported)), encoding="utf-8-sig")

    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Service"].startswith("'=HYPERLINK")
    assert record["Team"] == "'+team"
    assert record["Service slug"] == "'-2+3"
    assert record["Applied by"] == "'@admin"
    assert record["Reason"] == "line one\r\nline two"
    assert record["Applied at (UTC)"] == "2026-11-26T09:30:00+00:00"
    assert back["Change ID"].tolist() == [3]
    assert back["Recommendation ID"].tolist() == [11]


def test_audit_csv_carries_the_summary_and_json_state() -> None:
    event = AuditEvent(
        id=5,
        at=AT,
        actor="=cmd|' /C calc'!A0",
        action="reject",
        target_type="recommendation",
        target_id="11",
        before={"status": "open"},
        after={"status": "rejected"},
        detail={"reason": "-1+1 not now"},
    )

    exported = audit_export(audit_frame([event]))
    record = dict(zip(*_rows(to_csv_bytes(exported)), strict=True))

    assert record["Actor"] == "'=cmd|' /C calc'!A0"
    assert record["Summary"] == "status open → rejected; reason: -1+1 not now"
    assert record["After (JSON)"] == '{"status":"rejected"}'
    assert record["Event ID"] == "5"


def test_people_see_the_email_beside_the_stable_actor_and_the_csv_keeps_both() -> None:
    actor = "https://idp.example.com|248289761001"
    change = _change(
        actor=actor,
        actor_display="ana@example.com",
        rolled_back_by="local-admin",
        rolled_back_at=AT,
    )

    frame = changes_frame([change], NAMES)
    exported = changes_export(frame)

    assert frame["actor"].tolist() == [f"ana@example.com ({actor})"]
    assert frame["rolled_back_by"].tolist() == ["local-admin"]  # never logged in: as stored
    assert exported["Applied by (ID)"].tolist() == [actor]


def test_a_denied_event_says_who_tried_what_with_which_role() -> None:
    event = AuditEvent(
        id=6,
        at=AT,
        actor="vera",
        action="denied",
        target_type="recommendation",
        target_id="11",
        before=None,
        after=None,
        detail={"attempted": "apply", "role": "viewer", "needed": "approver"},
    )

    (summary,) = audit_frame([event])["summary"]

    assert summary == "refused: apply needs approver, vera is viewer"
