"""Realized savings on the pages, with the demo's history: one figure everywhere, the SLA
breach offered for rollback, and the savings report's realized columns (issue 18)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import realized_view
from dashboard.components import formats
from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.db import make_engine, make_sessions
from data.repos.change_sla import sla_after_changes
from data.repos.realized import month_totals, realized_savings
from data.repos.savings_report import backlog, savings_report
from data.settings import Settings
from engine.realized import Realized
from tests.dashboard import page_invariants
from tests.dashboard.conftest import APP_PATH, metric_values

DEMO_END = datetime(2026, 11, 26, tzinfo=UTC)
NOW = DEMO_END + timedelta(minutes=30)


@pytest.fixture(scope="module")
def history_template(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """The demo fleet with its past changes, seeded once for the module."""
    path = tmp_path_factory.mktemp("realized") / "history.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(Settings(database_url=f"sqlite:///{path}", _env_file=None))
    seed_demo_fleet(
        make_sessions(engine), load_catalog(), seed=42, n_services=30, days=45,
        end=DEMO_END, history=True,
    )  # fmt: skip
    engine.dispose()
    return path


@pytest.fixture
def history_url(history_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "pages.db"
    shutil.copyfile(history_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("TIGHTROPE_DATABASE_URL", url)
    monkeypatch.setenv("TIGHTROPE_CLOCK_FIXED_AT", NOW.isoformat())
    return url


def _open(page: str) -> AppTest:
    at = AppTest.from_file(APP_PATH, default_timeout=120).run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_realized_this_month_is_one_figure_on_overview_and_changes(history_url: str) -> None:
    sessions = make_sessions(make_engine(Settings(database_url=history_url, _env_file=None)))
    with sessions() as session:
        month = month_totals(realized_savings(session, now=DEMO_END), currency="USD")

    overview, changes = _open("overview"), _open("changes")

    page_invariants.realized_this_month_is_the_same_everywhere(overview, changes)
    card = metric_values(overview)["Realized this month"]
    assert month.measured == 4
    assert card == (
        formats.money_compact(month.realized_usd, "USD"),
        f"vs {formats.money_compact(month.predicted_usd, 'USD')} predicted",
    )


def test_changes_offers_the_sla_breach_for_rollback(history_url: str) -> None:
    changes = _open("changes")

    offers = [b for b in changes.button if b.key and b.key.startswith("chg_breach_rollback_")]

    assert len(offers) == 1
    assert any("Roll it back?" in w.value for w in changes.warning)
    assert not offers[0].disabled


def test_the_savings_report_carries_each_applied_recommendations_realized_saving(
    history_url: str,
) -> None:
    sessions = make_sessions(make_engine(Settings(database_url=history_url, _env_file=None)))
    with sessions() as session:
        found = realized_savings(session, now=DEMO_END)
        frame = realized_view.realized_frame(found, sla_after_changes(session, usage_end=DEMO_END))
        report = savings_report(backlog(session), frame)

    applied = report[report["Realized savings status"] != ""]
    by_rec = {c.recommendation_id: c for c in found}
    assert len(applied) == 4
    for rec_id, realized in zip(
        applied["Recommendation ID"], applied["Realized monthly savings"], strict=True
    ):
        result = by_rec[rec_id].result
        assert isinstance(result, Realized)
        assert realized == pytest.approx(round(result.monthly_usd, 2))
