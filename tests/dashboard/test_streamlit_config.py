"""The shipped .streamlit/config.toml keeps its hardened settings (threats.md 4, 6, 9, 18)."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from tests.dashboard.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    with (REPO_ROOT / ".streamlit" / "config.toml").open("rb") as file:
        return tomllib.load(file)


def test_cors_and_xsrf_protection_stay_on(config: dict[str, Any]) -> None:
    assert config["server"]["enableCORS"] is True
    assert config["server"]["enableXsrfProtection"] is True
    assert "*" not in config["server"]["allowedHosts"]


def test_server_is_headless_on_loopback_without_usage_stats(config: dict[str, Any]) -> None:
    assert config["server"]["headless"] is True
    assert config["server"]["address"] == "127.0.0.1"
    assert config["browser"]["gatherUsageStats"] is False


def test_uploads_and_messages_are_capped_at_50_mb(config: dict[str, Any]) -> None:
    assert config["server"]["maxUploadSize"] == 50
    assert config["server"]["maxMessageSize"] == 50


def test_browser_gets_no_tracebacks_and_no_unescaped_table_export(config: dict[str, Any]) -> None:
    assert config["client"]["showErrorDetails"] == "none"
    assert config["client"]["disableDataExport"] is True


def test_error_boxes_offer_no_links_to_outside_search_or_chatbots(config: dict[str, Any]) -> None:
    # "auto" shows "Ask Google" / "Ask ChatGPT" on localhost: one click would send an error
    # message, which can name services, paths and amounts, to a third party.
    assert config["client"]["showErrorLinks"] is False


def test_no_full_garbage_collection_after_every_script_run(config: dict[str, Any]) -> None:
    # A full gc.collect(2) per run holds the GIL for every session (decision 032).
    assert config["runner"]["postScriptGC"] is False


def test_config_holds_only_server_and_theme_options(config: dict[str, Any]) -> None:
    assert set(config) <= {"server", "browser", "client", "runner", "theme"}
