"""The gate before every page: loopback without login, a banner for TIGHTROPE_AUTH=none, and
with login on nothing but the login screen for a session that has not logged in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from tests.dashboard.conftest import APP_PATH, open_page
from tests.support.oidc import login_env


@pytest.fixture
def server_address() -> Iterator[None]:
    before = config.get_option("server.address")
    yield
    config.set_option("server.address", before)


def test_without_login_on_loopback_pages_run_without_a_banner(seeded_database: str) -> None:
    at = open_page("app_pages/overview.py")

    assert at.title[0].value == "Overview"
    assert not [w for w in at.warning if "No login" in w.value]


def test_auth_none_shows_a_banner_on_every_page(
    seeded_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIGHTROPE_AUTH", "none")

    for page in ("app_pages/overview.py", "app_pages/changes.py"):
        at = open_page(page)
        assert "No login: anyone who can reach this address acts as local-admin" in (
            at.warning[0].value
        )


@pytest.mark.usefixtures("server_address")
def test_without_login_a_non_loopback_server_runs_no_page(seeded_database: str) -> None:
    config.set_option("server.address", "0.0.0.0")

    at = AppTest.from_file(APP_PATH, default_timeout=60).run()

    assert "Refusing to serve without login on 0.0.0.0" in at.error[0].value
    assert [t.value for t in at.title] == []
    assert not at.metric


def test_with_login_on_a_session_without_login_sees_only_the_login_screen(
    seeded_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in login_env("https://idp.example.com", 8501, {}).items():
        monkeypatch.setenv(name, value)

    at = AppTest.from_file(APP_PATH, default_timeout=60).run()

    assert [t.value for t in at.title] == ["Tightrope"]
    assert "Sign in" in at.info[0].value
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.metric
