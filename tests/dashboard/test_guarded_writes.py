"""Every write from dashboard/ goes through a guarded data service (decision 013): an AST scan."""

from __future__ import annotations

import textwrap

import pytest

from tests.support.write_scan import (
    Finding,
    api_sources,
    dashboard_sources,
    data_writers,
    names,
    scan,
)

WRITERS = data_writers()


def _scan(code: str) -> list[str]:
    return [f.what for f in scan({"dashboard/snippet.py": textwrap.dedent(code)}, WRITERS)]


def test_no_dashboard_write_bypasses_the_guarded_services() -> None:
    found = scan(dashboard_sources(), WRITERS)

    assert names(found) == []


def test_no_api_write_bypasses_the_guarded_services() -> None:
    sources = api_sources()
    found = scan(sources, WRITERS)

    assert "api/routes/recommendations.py" in sources  # the scan reads the API's routes
    assert names(found) == []


def test_an_api_route_that_applies_around_the_workflow_is_caught() -> None:
    code = """
        from data.workflow.apply import apply_recommendation

        def apply(deps, recommendation_id, version, now):
            with deps.sessions.begin() as session:
                return apply_recommendation(
                    session, recommendation_id, expected_version=version, actor="x", now=now
                )
    """
    found = scan({"api/routes/snippet.py": textwrap.dedent(code)}, WRITERS)

    assert [f.what for f in found] == [
        "imports data.workflow.apply.apply_recommendation",
        "sessions.begin()",
    ]


def test_the_simulators_old_save_is_caught() -> None:
    # What dashboard/app_pages/simulator.py did before the guard: its own transaction.
    code = """
        from data.repos import simulations

        def _save_form(sessions, scenario, summary):
            with sessions.begin() as session:
                simulations.save_scenario(
                    session, name="x", scenario=scenario, summary=summary, service_id=1,
                    team=None, actor="local-admin", now=None,
                )
    """

    assert _scan(code) == ["sessions.begin()", "uses data.repos.simulations.save_scenario"]


def test_the_simulators_old_promote_is_caught() -> None:
    code = """
        from data.repos.promotions import promote_to_recommendation

        def _promote(sessions, simulation_id, now):
            with sessions.begin() as session:
                return promote_to_recommendation(session, simulation_id, now=now)
    """

    assert _scan(code) == [
        "imports data.repos.promotions.promote_to_recommendation",
        "sessions.begin()",
    ]


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("from data.repos.job_requests import request_run", "request_run"),
        ("from data.connectors.focus import ingest_delivery", "ingest_delivery"),
        ("from data.workflow.apply import apply_recommendation", "apply_recommendation"),
        ("from data.repos.audit import record_event", "record_event"),
        ("from data.guard import Guard", "Guard"),
    ],
)
def test_importing_a_data_writer_is_caught(statement: str, expected: str) -> None:
    (finding,) = _scan(statement)

    assert finding.split(".")[-1] == expected
    assert finding.startswith("imports ")


@pytest.mark.parametrize(
    "call",
    [
        "session.add(row)",
        "session.add_all(rows)",
        "session.delete(row)",
        "session.merge(row)",
        "session.flush()",
        "session.commit()",
        "session.execute(update(JobRequestRow).values(status='done'))",
        "session.execute(insert(AuditEventRow).values(actor='x'))",
        "session.execute(delete(AuditEventRow))",
        "session.execute(text('DELETE FROM audit_event'))",
    ],
)
def test_a_direct_session_write_is_caught(call: str) -> None:
    code = f"""
        def sneaky(sessions):
            with sessions() as s:
                {call}
    """

    assert len(_scan(code)) == 1


def test_a_session_bound_from_the_dependency_is_caught_whatever_its_name() -> None:
    code = """
        from dashboard import deps

        def sneaky(row):
            maker = deps.sessions()
            with maker.begin() as tx:
                tx.add(row)
    """

    assert _scan(code) == ["maker.begin()", "tx.add()"]


def test_reads_and_other_adds_are_not_writes() -> None:
    code = """
        import streamlit as st
        from data.repos.job_requests import pending_requests
        from data.repos.simulations import list_scenarios
        from data.scenario_actions import ScenarioDesk

        def fine(sessions, token):
            with sessions() as session:
                session.execute(select(JobRequestRow))
                pending_requests(session)
            st.session_state.setdefault("done", set()).add(token)
            submitted = set()
            submitted.add(token)
            return ScenarioDesk
    """

    assert _scan(code) == []


def test_the_writers_found_in_data_include_every_kind_of_write() -> None:
    # Direct adds, UPDATE statements, row attributes set, audit events, and callers of these.
    expected = {
        "save_scenario": "data.repos.simulations",
        "promote_to_recommendation": "data.repos.promotions",
        "request_run": "data.repos.job_requests",
        "finish_request": "data.repos.job_requests",
        "acknowledge": "data.repos.anomalies",
        "ingest_delivery": "data.connectors.focus.ingest",
        "record_event": "data.repos.audit",
    }

    assert {name: WRITERS.get(name) for name in expected} == expected
    assert not {"list_scenarios", "pending_requests", "validate_delivery"} & WRITERS.keys()


def test_findings_name_file_and_line() -> None:
    found = scan({"dashboard/x.py": "\n\ndef f(session):\n    session.commit()\n"}, WRITERS)

    assert found == [Finding("dashboard/x.py", 4, "session.commit()")]
