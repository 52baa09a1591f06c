"""TIGHTROPE_<NAME>_FILE: settings read from mounted secret files (Docker, Kubernetes)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic_settings import SettingsError

from data.logs import configure_logging
from data.settings import Settings

SECRET = "s3cr3t-api-key-never-logged"


def test_a_file_gives_the_value_and_drops_its_trailing_newline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = tmp_path / "key"
    key.write_text(SECRET + "\n")
    monkeypatch.setenv("TIGHTROPE_BILLING_API_KEY_FILE", str(key))

    settings = Settings(_env_file=None)

    assert settings.billing_api_key is not None
    assert settings.billing_api_key.get_secret_value() == SECRET


def test_a_file_overrides_the_image_default_and_decodes_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, roles = tmp_path / "url", tmp_path / "roles"
    url.write_text("postgresql+psycopg2://app@db/tightrope")
    roles.write_text('{"ana": "analyst"}')
    monkeypatch.setenv("TIGHTROPE_DATABASE_URL", "sqlite:////data/tightrope.db")
    monkeypatch.setenv("TIGHTROPE_DATABASE_URL_FILE", str(url))
    monkeypatch.setenv("tightrope_roles_file", str(roles))

    settings = Settings(_env_file=None)

    assert settings.database_url == "postgresql+psycopg2://app@db/tightrope"
    assert settings.roles == {"ana": "analyst"}


def test_a_missing_file_is_a_clear_error_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIGHTROPE_BILLING_API_KEY_FILE", str(tmp_path / "absent"))

    with pytest.raises(
        SettingsError, match=r"TIGHTROPE_BILLING_API_KEY_FILE names .*absent, which"
    ):
        Settings(_env_file=None)


def test_an_unreadable_file_is_an_error_that_never_shows_its_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "a-directory"
    directory.mkdir()
    monkeypatch.setenv("TIGHTROPE_BILLING_API_KEY_FILE", str(directory))

    with pytest.raises(SettingsError, match="cannot be read") as raised:
        Settings(_env_file=None)

    assert SECRET not in str(raised.value)


def test_a_secret_read_from_a_file_is_not_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    key = tmp_path / "key"
    key.write_text(SECRET)
    monkeypatch.setenv("TIGHTROPE_BILLING_API_KEY_FILE", str(key))
    settings = Settings(_env_file=None)

    with caplog.at_level(logging.DEBUG):
        configure_logging(settings)
        logging.getLogger("tightrope.test").info("settings: %s", settings)

    assert SECRET not in caplog.text
    assert SECRET not in repr(settings)
