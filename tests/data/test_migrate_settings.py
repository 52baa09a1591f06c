"""Which URL `migrate` uses, and what it refuses before touching a schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from data.migrate import migration_settings
from data.settings import Settings
from tests.support.databases import data_command

APP_URL = "postgresql+psycopg2://tightrope_app@db/tightrope"
OWNER_URL = "postgresql+psycopg2://tightrope_owner@db/tightrope"


def test_migrate_connects_as_the_owner_when_one_is_set() -> None:
    settings = Settings(database_url=APP_URL, migrate_database_url=OWNER_URL, _env_file=None)

    assert migration_settings(settings).database_url == OWNER_URL
    assert settings.database_url == APP_URL


def test_migrate_falls_back_to_the_app_url() -> None:
    settings = Settings(database_url=APP_URL, _env_file=None)

    assert migration_settings(settings).database_url == APP_URL


@pytest.mark.parametrize(
    ("field", "value"),
    [("migrate_database_url", "mysql://root@db/x"), ("database_app_role", "app; DROP TABLE x")],
)
def test_unusable_values_are_refused(field: str, value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(**{field: value}, _env_file=None)  # type: ignore[arg-type]


def test_an_app_role_on_sqlite_is_refused_and_nothing_is_migrated(tmp_path: Path) -> None:
    database = tmp_path / "t.db"
    env = {"TIGHTROPE_DATABASE_URL": f"sqlite:///{database}", "TIGHTROPE_DATABASE_APP_ROLE": "app"}

    done = data_command("migrate", env=env)
    _, stderr = done.communicate(timeout=120)

    assert done.returncode == 2
    assert "an app role exists on PostgreSQL only" in stderr
    assert not database.exists() or database.stat().st_size == 0
