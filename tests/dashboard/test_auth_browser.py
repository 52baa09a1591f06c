"""Login through a real OIDC provider process: a viewer reads, an approver applies, the audit
names the approver; a script on the websocket without a login gets only the login gate.

Starts oidc-provider-mock on a loopback port (two one-click users whose `groups` claim maps
to viewer and approver) and the dashboard through its launcher (`python -m dashboard`) with
login on against it, then drives Debian Chromium through the provider's real redirects.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.db import make_engine, make_sessions
from data.errors import Forbidden
from data.identity import Principal
from data.models import AppUserRow, AuditEventRow, RecommendationRow
from data.repos.changes import list_audit_events
from data.settings import Settings
from data.workflow import Workflow, WorkflowPolicy
from engine.profiles import PROFILES
from jobs.recompute import recompute
from tests.support.browser import settle
from tests.support.oidc import dashboard_with_login, oidc_provider
from tests.support.oidc_websocket import run_page_without_login

pytestmark = pytest.mark.browser

DEMO_END = datetime(2026, 11, 26, tzinfo=UTC)
VIEWPORT = {"width": 1400, "height": 1600}
VIEWER = {"sub": "viewer-1", "email": "vera@example.com", "groups": ["finops-readers"]}
APPROVER = {
    "sub": "approver-1",
    "email": "paul@example.com",
    "groups": ["finops-readers", "finops-approvers"],
}
ROLE_MAP = {"finops-approvers": "approver", "finops-readers": "viewer"}


@pytest.fixture(scope="module")
def fleet_url(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> str:
    path = tmp_path_factory.mktemp("auth") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(Settings(database_url=url, _env_file=None))
    sessions = make_sessions(engine)
    seed_demo_fleet(sessions, load_catalog(), seed=42, n_services=12, days=14, end=DEMO_END)
    recompute(sessions, load_catalog(), profile=PROFILES["balanced"], now=DEMO_END)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log_path = tmp_path_factory.mktemp("oidc") / "provider.log"
    with oidc_provider([VIEWER, APPROVER], log_path=log_path) as url:
        yield url


@pytest.fixture(scope="module")
def dashboard_url(
    fleet_url: str, issuer: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    log_path = tmp_path_factory.mktemp("dashboard") / "dashboard.log"
    with dashboard_with_login(
        fleet_url, issuer=issuer, role_map=ROLE_MAP, now=DEMO_END + timedelta(hours=1),
        log_path=log_path,
    ) as url:  # fmt: skip
        yield url


def _open_recommendation(url: str) -> tuple[int, int]:
    engine = make_engine(Settings(database_url=url, _env_file=None))
    with make_sessions(engine)() as session:
        row = session.scalars(
            select(RecommendationRow)
            .where(RecommendationRow.status == "open")
            .order_by(RecommendationRow.id)
        ).first()
    engine.dispose()
    assert row is not None, "the demo fleet has no open recommendation"
    return row.id, row.version


def _log_in(page: Any, base_url: str, user: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page.goto(base_url)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name=user["sub"], exact=True).click()  # the provider's form
    expect(page.get_by_text(f"Signed in as {user['email']}")).to_be_visible()
    settle(page)


def test_viewer_sees_data_cannot_apply_and_logs_out(
    page: Any, dashboard_url: str, fleet_url: str, issuer: str
) -> None:
    from playwright.sync_api import expect

    rec_id, version = _open_recommendation(fleet_url)

    _log_in(page, dashboard_url, VIEWER)
    page.goto(f"{dashboard_url}/recommendations?rec={rec_id}")
    page.locator("[data-testid=stDataFrame]").first.wait_for()
    settle(page)

    expect(page.get_by_text("Signed in as vera@example.com (viewer)")).to_be_visible()
    expect(page.get_by_role("button", name="Apply…")).to_be_disabled()
    expect(
        page.get_by_text("vera@example.com is a viewer: applying needs the approver role.")
    ).to_be_visible()
    viewer = Principal(actor=f"{issuer}|viewer-1", display="vera@example.com", role="viewer")
    with pytest.raises(Forbidden):
        _workflow(fleet_url, viewer).apply(
            viewer.actor, rec_id, expected_version=version, now=DEMO_END
        )
    # Nor anything else: scenarios, budgets, Run now (each service refuses too, tests/data).
    for path, button in (("simulator", "Save scenario"), ("budgets", "New budget…")):
        page.goto(f"{dashboard_url}/{path}")
        expect(page.get_by_role("button", name=button)).to_be_disabled()
    page.goto(f"{dashboard_url}/data-sources")
    run_now = page.locator("[class*='st-key-ds_run_'] button")  # one Run now button per job
    expect(run_now.first).to_be_disabled()
    assert all(button.is_disabled() for button in run_now.all())
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="End session").click()  # the provider's logout form
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert _status(fleet_url, rec_id) == "open"


def test_approver_applies_and_the_audit_shows_who(
    page: Any, dashboard_url: str, fleet_url: str, issuer: str
) -> None:
    from playwright.sync_api import expect

    rec_id, _ = _open_recommendation(fleet_url)
    actor = f"{issuer}|approver-1"

    _log_in(page, dashboard_url, APPROVER)
    page.goto(f"{dashboard_url}/recommendations?rec={rec_id}")
    page.get_by_role("button", name="Apply…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Recorded as paul@example.com in the audit trail.")).to_be_visible()
    dialog.get_by_role("button", name="Apply now").click()
    expect(
        page.locator("[data-testid=stAlert]").filter(has_text=f"Applied recommendation {rec_id}")
    ).not_to_have_count(0)
    page.locator("[data-testid=stSidebarNavLink]").filter(has_text="Changes").click()

    # The e-mail, then the stable id (markdown escaping may show backslashes inside it).
    expect(
        page.locator("[data-testid=stCaptionContainer]").filter(
            has_text=re.compile(
                rf"Applied by paul@example\.com \(http\u2060?://127.+approver.+1.*\) "
                rf"from recommendation #{rec_id}\."
            )
        )
    ).to_be_visible()
    applied = _events(fleet_url, "apply")
    assert [(e.actor, e.actor_display, e.target_id) for e in applied] == [
        (actor, "paul@example.com", str(rec_id))
    ]
    assert [e.actor for e in _events(fleet_url, "login")].count(actor) == 1


def test_a_websocket_client_without_login_gets_only_the_login_gate(
    dashboard_url: str, fleet_url: str
) -> None:
    rec_id, _ = _open_recommendation(fleet_url)
    events_before = _count(fleet_url, AuditEventRow)

    elements = run_page_without_login(dashboard_url, page="recommendations", query=f"rec={rec_id}")

    # The login gate only: a title, why, and the Log in button; no grid, metric or chart.
    assert [kind for kind, _ in elements] == ["heading", "alert", "button"], elements
    assert "Sign in with your organisation" in elements[1][1]
    assert 'label: "Log in"' in elements[2][1]
    assert _count(fleet_url, AuditEventRow) == events_before
    assert _status(fleet_url, rec_id) == "open"


def _workflow(url: str, principal: Principal) -> Workflow:
    settings = Settings(database_url=url, _env_file=None)
    policy = WorkflowPolicy.from_settings(settings).for_principal(principal)
    return Workflow(make_sessions(make_engine(settings)), policy)


def _events(url: str, action: str) -> list[Any]:
    engine = make_engine(Settings(database_url=url, _env_file=None))
    with make_sessions(engine)() as session:
        found = list_audit_events(session, action=action)
    engine.dispose()
    return found


def _status(url: str, rec_id: int) -> str:
    engine = make_engine(Settings(database_url=url, _env_file=None))
    with make_sessions(engine)() as session:
        row = session.get(RecommendationRow, rec_id)
    engine.dispose()
    assert row is not None
    return row.status


def _count(url: str, model: type[AuditEventRow] | type[AppUserRow]) -> int:
    engine = make_engine(Settings(database_url=url, _env_file=None))
    with make_sessions(engine)() as session:
        total = session.scalar(select(func.count()).select_from(model)) or 0
    engine.dispose()
    return total
