"""Recommendations and Changes pages with AppTest: backlog, detail, decisions, rollback, audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from data.models import ConfigChangeRow, RecommendationRow, RuleOutcomeRow, ServiceRow
from data.repos.changes import list_audit_events
from data.repos.savings_report import backlog
from data.workflow import Workflow, WorkflowPolicy
from tests.dashboard.conftest import NOW, figures, metric_values, numbers, open_page, sessions_on

RECS = "app_pages/recommendations.py"
CHANGES = "app_pages/changes.py"


@pytest.fixture
def sessions(recommended_database: str) -> Iterator[sessionmaker[Session]]:
    yield from sessions_on(recommended_database)


def _open(page: str, **query: str) -> AppTest:
    return open_page(page, query=query)


def _rec_id(sessions: sessionmaker[Session], service: str, kind: str) -> int:
    with sessions() as session:
        frame = backlog(session)
    match = frame[(frame["service"] == service) & (frame["kind"] == kind)]
    return int(match["recommendation_id"].iloc[0])


def _status(sessions: sessionmaker[Session], rec_id: int) -> str:
    with sessions() as session:
        row = session.get(RecommendationRow, rec_id)
        assert row is not None
        return row.status


def _pick(at: AppTest, rec_id: int) -> AppTest:
    at.selectbox(key="rec_pick").set_value(rec_id).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.mark.usefixtures("recommended_database")
def test_backlog_is_ranked_by_risk_adjusted_savings() -> None:
    at = _open(RECS)

    table = at.dataframe[0].value
    ranked = table["risk_adjusted_savings"].tolist()

    assert at.title[0].value == "Recommendations"
    assert ranked == sorted(ranked, reverse=True)
    assert set(table["status"]) == {"open"}
    assert table["risk_badge"].iloc[0] == "✓ 0 very low"
    assert "savings × (1 − risk ÷ 5)" in at.caption[0].value


@pytest.mark.usefixtures("recommended_database")
def test_kpis_count_open_savings_once_per_service_and_the_risky_ones() -> None:
    at = _open(RECS)

    metrics = metric_values(at)

    # payments commitment 77.79 + data commitment 25.93 + checkout's best cut 21.90
    assert metrics["Open savings"][0] == "$126 /mo"
    assert metrics["Open recommendations"][0] == "6"
    assert metrics["At risk (risk ≥ 3)"][0] == "2"
    assert metrics["Applied savings this month"][0] == "$0 /mo"


@pytest.mark.usefixtures("recommended_database")
def test_type_and_min_savings_filters_narrow_the_backlog() -> None:
    at = _open(RECS)

    at.multiselect(key="rec_kind").set_value(["rightsize", "joint"]).run()
    at.number_input(key="rec_min_savings").set_value(0.0).run()

    table = at.dataframe[0].value
    assert table["service"].tolist() == ["Checkout API", "Checkout API"]
    assert "showing 2 of 6 recommendations" in " ".join(i.value for i in at.sidebar.info)


@pytest.mark.usefixtures("recommended_database")
def test_backlog_filters_are_remembered_across_pages() -> None:
    at = _open(RECS)
    at.multiselect(key="rec_kind").set_value(["horizontal"]).run()

    at.switch_page(CHANGES).run()
    at.switch_page(RECS).run()

    assert at.multiselect(key="rec_kind").value == ["horizontal"]
    assert at.dataframe[0].value["kind"].tolist() == ["horizontal"]


def test_detail_replays_current_and_proposed_against_the_sla(
    sessions: sessionmaker[Session],
) -> None:
    rec_id = _rec_id(sessions, "Checkout API", "rightsize")

    at = _pick(_open(RECS), rec_id)

    latency, utilization = figures(at)
    assert latency["layout"]["title"]["text"] == "Projected p95 latency: current vs proposed"
    assert [t["name"] for t in latency["data"]] == [
        "Current config",
        "Proposed config",
        "SLA target (p95)",
    ]
    assert set(numbers(latency["data"][2]["y"])) == {250.0}
    assert [t["name"] for t in utilization["data"]][2] == "Saturation limit (75 %)"
    assert len(latency["data"][0]["x"]) == 14 * 24
    metrics = metric_values(at)
    assert metrics["Monthly cost now (effective)"][0] == "$210 /mo"
    assert metrics["SLA risk"] == ("⚠ 4 high", "✗ SLA not kept — see reasons")
    texts = " ".join(str(m.value) for m in at.markdown)
    assert "Instance type: m5\\.large" in texts
    assert "m5a\\.large" in texts


def test_a_link_with_rec_opens_that_recommendation(sessions: sessionmaker[Session]) -> None:
    rec_id = _rec_id(sessions, "Nightly ETL", "horizontal")

    at = _open(RECS, rec=str(rec_id))

    assert at.selectbox(key="rec_pick").value == rec_id


def test_apply_through_the_dialog_applies_and_records_the_change(
    sessions: sessionmaker[Session],
) -> None:
    rec_id = _rec_id(sessions, "Checkout API", "rightsize")
    at = _pick(_open(RECS), rec_id)

    at.button(key="rec_apply").click().run()
    at.button(key="rec_apply_confirm").click().run()

    assert not at.exception
    assert _status(sessions, rec_id) == "applied"
    with sessions() as session:
        change = session.scalars(select(ConfigChangeRow)).one()
    assert change.recommendation_id == rec_id
    assert change.after["instance_type"] == "m5a.large"
    assert at.success[0].value.startswith(f"Applied recommendation {rec_id}")
    assert at.selectbox(key="rec_pick").value == rec_id  # still in view after the action
    assert metric_values(at)["Applied savings this month"][0] == "$22 /mo"


def test_a_decision_taken_elsewhere_meanwhile_shows_a_conflict_warning(
    sessions: sessionmaker[Session],
) -> None:
    rec_id = _rec_id(sessions, "Checkout API", "rightsize")
    at = _pick(_open(RECS), rec_id)
    at.button(key="rec_apply").click().run()
    other_tab = Workflow(sessions, WorkflowPolicy())
    with sessions() as session:
        version = session.get(RecommendationRow, rec_id).version  # type: ignore[union-attr]
    other_tab.postpone(
        "local-admin",
        rec_id,
        expected_version=version,
        until=datetime(2027, 1, 1, tzinfo=UTC),
        now=NOW,
    )

    at.button(key="rec_apply_confirm").click().run()

    assert not at.exception
    assert _status(sessions, rec_id) == "postponed"
    assert "changed by local-admin" in _warnings(at)
    assert any(w.value.endswith("Nothing was changed.") for w in at.warning)


def test_reject_needs_a_reason(sessions: sessionmaker[Session]) -> None:
    rec_id = _rec_id(sessions, "Nightly ETL", "horizontal")
    at = _pick(_open(RECS), rec_id)
    at.button(key="rec_reject").click().run()

    at.button(key="rec_reject_confirm").click().run()

    assert "a reason is required" in _warnings(at)
    assert _status(sessions, rec_id) == "open"


def test_reject_with_a_reason_records_it(sessions: sessionmaker[Session]) -> None:
    rec_id = _rec_id(sessions, "Nightly ETL", "horizontal")
    at = _pick(_open(RECS), rec_id)
    at.button(key="rec_reject").click().run()

    at.text_area(key="rec_reject_reason").input("batch window moves next week")
    at.button(key="rec_reject_confirm").click().run()

    assert _status(sessions, rec_id) == "rejected"
    with sessions() as session:
        row = session.get(RecommendationRow, rec_id)
        assert row is not None
        assert row.decision_reason == "batch window moves next week"


def test_postpone_hides_it_from_the_open_backlog(sessions: sessionmaker[Session]) -> None:
    rec_id = _rec_id(sessions, "Nightly ETL", "joint")
    at = _pick(_open(RECS), rec_id)
    at.button(key="rec_postpone").click().run()

    at.button(key="rec_postpone_confirm").click().run()

    assert _status(sessions, rec_id) == "postponed"
    assert rec_id not in at.dataframe[0].value["recommendation_id"].tolist()


def test_a_viewer_sees_the_decisions_locked_and_why(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIGHTROPE_LOCAL_ACTOR", "visitor")
    monkeypatch.setenv("TIGHTROPE_ROLES", '{"visitor": "viewer"}')
    rec_id = _rec_id(sessions, "Checkout API", "rightsize")

    at = _pick(_open(RECS), rec_id)

    assert at.button(key="rec_apply").disabled
    assert at.button(key="rec_reject").disabled
    captions = " ".join(c.value for c in at.caption)
    assert "visitor is a viewer: applying needs the approver role" in captions


def test_an_analyst_may_reject_but_not_apply(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIGHTROPE_LOCAL_ACTOR", "ana")
    monkeypatch.setenv("TIGHTROPE_ROLES", '{"ana": "analyst"}')
    rec_id = _rec_id(sessions, "Nightly ETL", "horizontal")
    at = _pick(_open(RECS), rec_id)
    assert at.button(key="rec_apply").disabled

    at.button(key="rec_reject").click().run()
    at.text_area(key="rec_reject_reason").input("not this quarter")
    at.button(key="rec_reject_confirm").click().run()

    assert _status(sessions, rec_id) == "rejected"


def test_changes_page_lists_the_change_and_rolls_it_back(
    sessions: sessionmaker[Session],
) -> None:
    rec_id = _rec_id(sessions, "Checkout API", "rightsize")
    Workflow(sessions, WorkflowPolicy()).apply("local-admin", rec_id, expected_version=1, now=NOW)
    at = _open(CHANGES)
    changes = at.dataframe[0].value
    assert changes["changed"].tolist() == ["Instance type: m5.large → m5a.large"]
    assert changes["recommendation_link"].tolist() == [f"/recommendations?rec={rec_id}"]

    at.button(key="chg_rollback").click().run()
    at.button(key="chg_rollback_confirm").click().run()

    assert not at.exception
    assert _status(sessions, rec_id) == "rolled_back"
    assert at.success[0].value.startswith("Rolled back change")
    assert at.dataframe[0].value["status"].tolist() == ["rolled_back"]
    audit = at.dataframe[1].value
    # The apply also superseded the service's other open proposals (system:workflow).
    decisions = audit[audit["action"] != "supersede"]
    assert decisions["action"].tolist() == ["rollback", "apply"]
    assert set(audit.loc[audit["action"] == "supersede", "actor"]) <= {"system:workflow"}


def test_audit_trail_filters_by_action(sessions: sessionmaker[Session]) -> None:
    rec_id = _rec_id(sessions, "Checkout API", "rightsize")
    flow = Workflow(sessions, WorkflowPolicy())
    outcome = flow.apply("local-admin", rec_id, expected_version=1, now=NOW)
    assert outcome.change_id is not None
    flow.rollback("local-admin", outcome.change_id, now=NOW)
    at = _open(CHANGES)

    at.multiselect(key="aud_action").set_value(["rollback"]).run()

    audit: pd.DataFrame = at.dataframe[1].value
    assert audit["action"].tolist() == ["rollback"]
    with sessions() as session:  # apply, rollback, and the siblings the apply superseded
        total = len(list_audit_events(session))
    assert f"1 of {total} events shown" in " ".join(c.value for c in at.caption)


@pytest.mark.usefixtures("seeded_database")
def test_recommendations_page_without_a_recompute_says_how_to_run_one() -> None:
    at = _open(RECS)

    assert "make recompute" in " ".join(i.value for i in at.info)
    assert not at.dataframe


@pytest.mark.usefixtures("seeded_database")
def test_changes_page_without_changes_explains_where_they_come_from() -> None:
    at = _open(CHANGES)

    assert "No config change yet" in " ".join(i.value for i in at.info)


def _open_service(at: AppTest, name: str) -> AppTest:
    labels = at.selectbox(key="detail_service").options
    index = next(i for i, label in enumerate(labels) if label.startswith(name))
    at.selectbox(key="detail_service").select_index(index).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_service_detail_lists_its_recommendations_and_opens_one(
    sessions: sessionmaker[Session],
) -> None:
    rec_id = _rec_id(sessions, "Checkout API", "rightsize")
    at = _open_service(_open("app_pages/service_detail.py"), "Checkout API")
    table = at.dataframe[0].value
    assert sorted(table["kind"]) == ["joint", "rightsize"]
    assert f"/recommendations?rec={rec_id}" in table["link"].tolist()

    at.selectbox(key="detail_rec_open").set_value(rec_id).run()

    assert not at.exception
    assert at.title[0].value == "Recommendations"
    assert at.selectbox(key="rec_pick").value == rec_id


def test_service_detail_says_why_a_rule_proposed_nothing(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        search = session.scalars(select(ServiceRow).where(ServiceRow.slug == "search")).one()
        stored = session.scalars(
            select(RuleOutcomeRow).where(RuleOutcomeRow.service_id == search.id)
        ).all()
        expected = sorted(row.reason for row in stored if row.outcome != "recommend")

    at = _open_service(_open("app_pages/service_detail.py"), "Search API")

    assert "No recommendation for this service" in at.info[0].value
    reasons = at.dataframe[-1].value
    assert expected  # the fixture's recompute stored why (no e2 prices in us-east-1)
    assert sorted(reasons["reason"]) == expected
    assert set(reasons["verdict"]) <= {"Does not apply", "Not enough data", "Already optimal"}


def _bulk_dialog(sessions: sessionmaker[Session]) -> tuple[AppTest, list[int]]:
    """The bulk-apply dialog for Checkout's rightsize and Nightly ETL's scale-out."""
    ids = [
        _rec_id(sessions, "Checkout API", "rightsize"),
        _rec_id(sessions, "Nightly ETL", "horizontal"),
    ]
    at = _open(RECS)
    at.session_state["rec_bulk_ids"] = tuple(ids)  # what ticking both rows and the button does
    at.run()
    return at, ids


def test_bulk_apply_over_the_blast_radius_changes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    at, ids = _bulk_dialog(sessions)  # 2 of 3 services: over the default 10 % of the fleet

    at.button(key="rec_bulk_confirm").click().run()

    assert not at.exception
    assert any(w.value.endswith("Nothing was changed.") for w in at.warning)
    assert [_status(sessions, rec_id) for rec_id in ids] == ["open", "open"]


def test_bulk_apply_within_the_caps_applies_every_one(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIGHTROPE_BULK_APPLY_MAX_FLEET_PCT", "100")
    at, ids = _bulk_dialog(sessions)
    assert "2 recommendations on 2 services" in " ".join(m.value for m in at.markdown)

    at.button(key="rec_bulk_confirm").click().run()

    assert not at.exception
    assert at.success[0].value.startswith("2 recommendations applied")
    assert [_status(sessions, rec_id) for rec_id in ids] == ["applied", "applied"]


def test_a_stale_tab_applying_an_alternative_after_its_sibling_gets_a_conflict(
    sessions: sessionmaker[Session],
) -> None:
    rightsize = _rec_id(sessions, "Checkout API", "rightsize")
    joint = _rec_id(sessions, "Checkout API", "joint")
    at = _pick(_open(RECS), joint)  # the reviewer opened the alternative first …
    Workflow(sessions, WorkflowPolicy()).apply(
        "local-admin", rightsize, expected_version=1, now=NOW
    )  # … then a colleague applied its sibling, which supersedes it
    at.button(key="rec_apply").click().run()

    at.button(key="rec_apply_confirm").click().run()

    assert not at.exception
    assert "system:workflow" in _warnings(at)
    assert "review again" in _warnings(at)
    assert _status(sessions, joint) == "superseded"


def _warnings(at: AppTest) -> str:
    """Every warning on the page (the stale-data notices come first once data ages)."""
    return " ".join(w.value for w in at.warning)


def test_a_recommendation_judged_on_old_usage_says_so(sessions: sessionmaker[Session]) -> None:
    rec_id = _rec_id(sessions, "Checkout API", "rightsize")
    with sessions.begin() as session:
        row = session.get_one(RecommendationRow, rec_id)
        details = {**row.explanation["details"], "window_end": "2026-01-05T09:00:00"}
        row.explanation = {**row.explanation, "details": details}

    at = _pick(_open(RECS), rec_id)

    assert not at.exception
    assert "Computed on usage up to 2026-01-05 10:00 UTC" in _warnings(at)
