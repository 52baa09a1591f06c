"""Roles: viewer < analyst < approver < admin, checked in the service; a refusal writes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from data.errors import Forbidden
from data.settings import Settings
from data.workflow import WorkflowPolicy
from tests.data.workflow.world import (
    ADMIN,
    NOW,
    add_open_rec,
    denials,
    make_flow,
    make_policy,
    snapshot,
)

ROOT = Path(__file__).resolve().parents[3]


def test_viewer_cannot_apply(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)
    before = snapshot(sessions)

    with pytest.raises(Forbidden, match="vera is a viewer: apply needs the approver role"):
        make_flow(sessions).apply("vera", rec.id, expected_version=rec.version, now=NOW)

    assert snapshot(sessions) == before
    assert [d[:4] for d in denials(sessions)] == [("vera", "recommendation", str(rec.id), "apply")]


def test_a_denial_records_the_role_and_the_role_needed(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(Forbidden):
        make_flow(sessions).rollback("ana", 7, now=NOW)

    ((actor, target, target_id, attempted, detail),) = denials(sessions)
    assert (actor, target, target_id, attempted) == ("ana", "config_change", "7", "rollback")
    assert (detail["role"], detail["needed"]) == ("analyst", "approver")


def test_a_refused_bulk_apply_names_every_recommendation(sessions: sessionmaker[Session]) -> None:
    first, second = add_open_rec(sessions, "a-api"), add_open_rec(sessions, "b-api")
    before = snapshot(sessions)

    with pytest.raises(Forbidden):
        make_flow(sessions).bulk_apply(
            "ana", {first.id: first.version, second.id: second.version}, now=NOW
        )

    ((_, target, target_id, attempted, detail),) = denials(sessions)
    assert (target, target_id, attempted) == ("recommendation", "0", "bulk_apply")
    assert detail["recommendation_ids"] == [first.id, second.id]
    assert snapshot(sessions) == before


def test_analyst_cannot_apply(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)
    before = snapshot(sessions)

    with pytest.raises(Forbidden):
        make_flow(sessions).apply("ana", rec.id, expected_version=rec.version, now=NOW)

    assert snapshot(sessions) == before
    assert len(denials(sessions)) == 1


def test_analyst_can_reject(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)

    outcome = make_flow(sessions).reject(
        "ana", rec.id, expected_version=rec.version, reason="too risky", now=NOW
    )

    assert outcome.status == "rejected"
    assert denials(sessions) == []


def test_viewer_cannot_reject(sessions: sessionmaker[Session]) -> None:
    rec = add_open_rec(sessions)

    with pytest.raises(Forbidden):
        make_flow(sessions).reject(
            "vera", rec.id, expected_version=rec.version, reason="x", now=NOW
        )


@pytest.mark.parametrize(
    ("actor", "role"),
    [
        ("vera", "viewer"),
        ("ana", "analyst"),
        ("apu", "approver"),
        (ADMIN, "admin"),
        ("eve", "viewer"),
    ],
)
def test_role_of(actor: str, role: str) -> None:
    assert make_policy().role_of(actor) == role


def test_local_actor_is_admin_unless_listed() -> None:
    listed = WorkflowPolicy(roles={"me": "analyst"}, local_actor="me")

    assert (WorkflowPolicy(local_actor="me").role_of("me"), listed.role_of("me")) == (
        "admin",
        "analyst",
    )


def test_roles_come_from_json_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIGHTROPE_ROLES", '{"ana": "analyst", "apu": "approver"}')

    policy = WorkflowPolicy.from_settings(Settings(_env_file=None))

    assert (policy.role_of("ana"), policy.role_of("apu"), policy.role_of("local-admin")) == (
        "analyst",
        "approver",
        "admin",
    )


def test_an_unknown_role_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIGHTROPE_ROLES", '{"ana": "superuser"}')

    # The error names the entry and the allowed roles (never the input: settings hide it).
    with pytest.raises(ValueError, match=r"roles\.ana[\s\S]*'viewer', 'analyst', 'approver'"):
        Settings(_env_file=None)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("suppression_cooldown_days", "-1"),
        ("bulk_apply_max_count", "0"),
        ("bulk_apply_max_fleet_pct", "0"),
        ("bulk_apply_max_fleet_pct", "101"),
    ],
)
def test_workflow_settings_out_of_bounds_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(f"TIGHTROPE_{name.upper()}", value)

    with pytest.raises(ValueError, match=name):
        Settings(_env_file=None)


def test_the_workflow_runs_without_streamlit() -> None:
    code = "import sys, data.workflow; sys.exit('streamlit' in sys.modules)"

    result = subprocess.run([sys.executable, "-c", code], check=False, cwd=ROOT)

    assert result.returncode == 0
