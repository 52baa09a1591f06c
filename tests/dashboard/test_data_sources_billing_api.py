"""The Data sources page's billing REST API row: configured, last pull, never its secrets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from dashboard.components.data_sources.connectors import connectors_frame
from data.db import make_engine, make_sessions
from data.models import JobRunRow
from data.repos.job_status import CostFreshness, JobRun, JobStatus
from data.settings import Settings
from tests.dashboard.conftest import APP_PATH
from tests.dashboard.conftest import NOW as PAGE_NOW

URL = "https://billing.example/v1"
NOW = datetime(2026, 10, 20, 6, 0, tzinfo=UTC)
DENIED = "billing API 2026-10: billing API at billing.example: HTTP 401, credentials invalid"


def _settings(**overrides: object) -> Settings:
    base = Settings(_env_file=None, billing_api_url=URL, billing_api_key=SecretStr("k3y-v4lue"))
    return base.model_copy(update=overrides)


def _refresh(status: str, error: str | None = None) -> JobStatus:
    run = JobRun("refresh_costs", status, NOW, NOW, NOW, NOW, 0, 1.0, error)
    return JobStatus("refresh_costs", run, None, None, 1, 0, None)


def _api_row(settings: Settings, **kw: Any) -> dict[str, str]:
    frame = connectors_frame(settings, **kw)
    row = frame.set_index("connector").loc["Billing REST API"]
    return {"status": str(row["configured"]), "detail": str(row["detail"])}


def test_unconfigured_says_which_settings_to_set() -> None:
    row = _api_row(Settings(_env_file=None))

    assert row["status"] == "○ Not configured"
    assert "TIGHTROPE_BILLING_API_URL" in row["detail"]


def test_a_url_without_a_key_is_credentials_invalid() -> None:
    row = _api_row(_settings(billing_api_key=None))

    assert row["status"] == "✗ Credentials invalid"
    assert "TIGHTROPE_BILLING_API_KEY" in row["detail"]


def test_a_pull_refused_for_credentials_says_so() -> None:
    row = _api_row(_settings(), refresh=_refresh("failed", f"other.csv: bad; {DENIED}"))

    assert row["status"] == "✗ Credentials invalid"
    assert row["detail"] == f"https://billing.example/v1: {DENIED}"


def test_a_directory_failure_does_not_blame_the_api() -> None:
    row = _api_row(_settings(), refresh=_refresh("failed", "2026-11.csv: invalid UTF-8"))

    assert row["status"] == "✓ Configured"


def test_a_working_api_shows_what_it_delivered() -> None:
    costs = CostFreshness("billing-api", date(2026, 10, 19), 1234)

    row = _api_row(_settings(), api_costs=costs, refresh=_refresh("success"))

    assert row["status"] == "✓ Configured"
    assert "newest charged day 2026-10-19, 1,234 daily cost rows" in row["detail"]


@pytest.fixture
def db(empty_database: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(Settings(database_url=empty_database, _env_file=None))
    yield make_sessions(engine)
    engine.dispose()


def test_the_page_shows_the_failed_pull_without_the_key_or_url_secrets(
    db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIGHTROPE_BILLING_API_URL", "https://ann:pw0rd@billing.example/v1?t=tok3n")
    monkeypatch.setenv("TIGHTROPE_BILLING_API_KEY", "k3y-v4lue")
    started = PAGE_NOW - timedelta(minutes=5)
    with db.begin() as session:
        session.add(JobRunRow(job="refresh_costs", started_at=started, finished_at=started,
                              status="failed", window_start=started, window_end=started,
                              rows=0, duration_s=1.0, error=DENIED))  # fmt: skip

    at = AppTest.from_file(APP_PATH, default_timeout=60).run()
    at.switch_page("app_pages/data_sources.py").run()

    assert not at.exception
    table = next(d.value for d in at.dataframe if "connector" in d.value.columns)
    row = table.set_index("connector").loc["Billing REST API"]
    assert row["configured"] == "✗ Credentials invalid"
    shown = " ".join(str(d.value.to_dict()) for d in at.dataframe) + str(at.markdown)
    assert not any(secret in shown for secret in ("k3y-v4lue", "pw0rd", "tok3n"))
