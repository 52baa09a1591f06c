"""Decisions through the API: the page's service, the same state and audit; ETag / If-Match."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.handoff.runner import HANDOFF_ACTOR, HandoffRunner
from data.identity import Principal
from data.models import AuditEventRow, ConfigChangeRow, RecommendationRow
from data.settings import Settings
from data.workflow import Workflow, WorkflowPolicy
from tests.api.conftest import Api
from tests.data.workflow.world import NOW, add_open_rec, snapshot

PAGE_PERSON = Principal(actor="apu", display="apu@example.com", role="approver")
UNTIL = date(2027, 3, 1)


def _page_flow(settings: Settings, sessions: sessionmaker[Session]) -> Workflow:
    """What dashboard/actions.py builds for the signed-in person."""
    policy = WorkflowPolicy.from_settings(settings).for_principal(PAGE_PERSON)
    return Workflow(sessions, policy, HandoffRunner(sessions, settings))


def _through_the_page(flow: Workflow, decision: str, rec_id: int, version: int) -> None:
    if decision == "apply":
        flow.apply("apu", rec_id, expected_version=version, now=NOW)
    elif decision == "reject":
        flow.reject("apu", rec_id, expected_version=version, reason="too risky", now=NOW)
    else:
        until = NOW.replace(year=UNTIL.year, month=UNTIL.month, day=UNTIL.day, hour=0, minute=0)
        flow.postpone("apu", rec_id, expected_version=version, until=until, now=NOW)


BODIES: dict[str, Any] = {
    "apply": None,
    "reject": {"reason": "too risky"},
    "postpone": {"until": UNTIL.isoformat()},
}


@pytest.mark.parametrize("decision", ["apply", "reject", "postpone"])
def test_the_page_and_the_api_make_the_same_change_and_audit(
    decision: str, api: Api, api_settings: Settings, sessions: sessionmaker[Session]
) -> None:
    by_page = add_open_rec(sessions, "page-svc")
    by_api = add_open_rec(sessions, "api-svc")

    _through_the_page(_page_flow(api_settings, sessions), decision, by_page.id, by_page.version)
    with api.client("approver") as client:
        answer = client.post(
            f"/v1/recommendations/{by_api.id}/{decision}",
            json=BODIES[decision],
            headers={"If-Match": f'"{by_api.id}-{by_api.version}"'},
        )

    assert answer.status_code == 200, answer.text
    assert answer.headers["etag"] == f'"{by_api.id}-{by_api.version + 1}"'
    assert _state(sessions, by_api.id) == _state(sessions, by_page.id)
    assert _events(sessions, by_api.id, "apikey:approver-bot") == _events(
        sessions, by_page.id, "apu"
    )


def test_get_returns_the_etag_and_a_stale_if_match_gets_412(
    api: Api, api_settings: Settings, sessions: sessionmaker[Session]
) -> None:
    rec = add_open_rec(sessions)
    with api.client("approver") as client:
        tag = client.get(f"/v1/recommendations/{rec.id}").headers["etag"]
        client.post(
            f"/v1/recommendations/{rec.id}/postpone",
            json={"until": UNTIL.isoformat()},
            headers={"If-Match": tag},
        ).raise_for_status()
        before = snapshot(sessions)

        stale = client.post(f"/v1/recommendations/{rec.id}/apply", headers={"If-Match": tag})

    assert tag == f'"{rec.id}-{rec.version}"'
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert set(stale.json()) == {"type", "title", "status", "detail", "instance"}
    assert snapshot(sessions) == before


def test_a_write_without_if_match_gets_428_and_changes_nothing(
    api: Api, sessions: sessionmaker[Session]
) -> None:
    rec = add_open_rec(sessions)
    before = snapshot(sessions)

    with api.client("approver") as client:
        answer = client.post(f"/v1/recommendations/{rec.id}/reject", json={"reason": "no"})

    assert answer.status_code == 428
    assert snapshot(sessions) == before


def test_an_if_match_naming_another_recommendation_gets_412(
    api: Api, sessions: sessionmaker[Session]
) -> None:
    rec = add_open_rec(sessions)

    with api.client("approver") as client:
        answer = client.post(
            f"/v1/recommendations/{rec.id}/apply", headers={"If-Match": f'"{rec.id + 1}-1"'}
        )

    assert answer.status_code == 412


def test_bulk_apply_and_rollback_through_the_api(api: Api, sessions: sessionmaker[Session]) -> None:
    recs = [add_open_rec(sessions, f"svc-{i}") for i in range(2)]
    items = [{"id": r.id, "version": r.version} for r in recs]

    with api.client("approver") as client:
        applied = client.post("/v1/recommendations/bulk-apply", json={"items": items})
        assert applied.status_code == 200, applied.text
        change_id = applied.json()["items"][0]["change_id"]
        rolled = client.post(f"/v1/changes/{change_id}/rollback", json={"reason": "paged"})
        again = client.post("/v1/recommendations/bulk-apply", json={"items": items})

    assert applied.status_code == 200, applied.text
    assert [o["status"] for o in applied.json()["items"]] == ["applied", "applied"]
    assert rolled.status_code == 200, rolled.text
    assert again.status_code == 412  # the versions named are not current any more


def test_errors_are_problem_details_without_internals(api: Api) -> None:
    with api.client("viewer") as client:
        missing = client.get("/v1/recommendations/999999")
        invalid = client.get("/v1/recommendations", params={"limit": "many"})

    assert missing.status_code == 404
    assert missing.json() == {
        "type": "urn:tightrope:problem:not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "recommendation 999999 does not exist",
        "instance": "/v1/recommendations/999999",
    }
    assert invalid.status_code == 422
    assert "Traceback" not in invalid.text
    assert "many" not in invalid.json()["detail"]


def _state(sessions: sessionmaker[Session], rec_id: int) -> tuple[Any, ...]:
    with sessions() as session:
        rec = session.get(RecommendationRow, rec_id)
        assert rec is not None
        changes = session.execute(
            select(ConfigChangeRow.status, ConfigChangeRow.before, ConfigChangeRow.after).where(
                ConfigChangeRow.recommendation_id == rec_id
            )
        ).all()
        return (
            rec.status, rec.version, rec.decision_reason, rec.postponed_until,
            rec.decided_at, [tuple(c) for c in changes],
        )  # fmt: skip


def _events(sessions: sessionmaker[Session], rec_id: int, actor: str) -> list[tuple[Any, ...]]:
    """The recommendation's audit events, ids left out (the two recommendations differ there);
    an apply's hand-off result is recorded by the hand-off step, the same way for both."""
    with sessions() as session:
        rows = session.scalars(
            select(AuditEventRow)
            .where(AuditEventRow.target_type == "recommendation")
            .where(AuditEventRow.target_id == str(rec_id))
            .order_by(AuditEventRow.id)
        )
        found = [
            (r.actor, r.action, r.at, _no_ids(r.before), _no_ids(r.after), _no_ids(r.detail))
            for r in rows
        ]
    assert found
    assert all(event[0] in (actor, HANDOFF_ACTOR) for event in found)
    return [(event[0] == HANDOFF_ACTOR, *event[1:]) for event in found]


def _no_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _no_ids(v) for k, v in value.items() if not k.endswith("id")}
    if isinstance(value, list):
        return [_no_ids(v) for v in value]
    return value


def test_the_recommendation_resource_says_where_an_applied_change_went(
    api: Api, sessions: sessionmaker[Session]
) -> None:
    rec = add_open_rec(sessions)
    with api.client("approver") as client:
        before = client.get(f"/v1/recommendations/{rec.id}").json()
        applied = client.post(
            f"/v1/recommendations/{rec.id}/apply",
            headers={"If-Match": f'"{rec.id}-{rec.version}"'},
        )
        after = client.get(f"/v1/recommendations/{rec.id}").json()
        listed = client.get("/v1/recommendations", params={"status": "applied"}).json()

    recorded_only = "recorded only — not changed anywhere (no GitOps repository configured)"
    assert (before["handoff_summary"], before["handoffs"]) == (None, [])
    assert applied.json()["handoff"] == recorded_only
    assert after["handoff_summary"] == recorded_only
    (handoff,) = after["handoffs"]
    assert (handoff["action"], handoff["status"], handoff["commit"]) == (
        "apply",
        "recorded_only",
        None,
    )
    assert handoff["target"] == "vm"
    assert "Instance type: m5.large → m5.large" in handoff["manifest"]
    assert handoff["webhook_event_id"] is not None  # the apply's outbox event
    assert [item["handoff_summary"] for item in listed["items"]] == [recorded_only]
