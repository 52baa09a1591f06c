"""Settings come from TIGHTROPE_* env, validate their bounds, and never leak secrets."""

from __future__ import annotations

import json
import logging

import pytest
from pydantic import ValidationError

from data.catalog.loader import DEFAULT_DISCOUNTS
from data.logs import configure_logging
from data.settings import Settings


def test_env_prefix_sets_the_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIGHTROPE_DATABASE_URL", "postgresql+psycopg2://u@h:5432/db")

    settings = Settings(_env_file=None)

    assert settings.database_url == "postgresql+psycopg2://u@h:5432/db"
    assert not settings.is_sqlite


def test_unsupported_database_url_is_refused() -> None:
    with pytest.raises(ValidationError, match="only sqlite"):
        Settings(database_url="mysql://x", _env_file=None)


def test_a_refused_url_is_not_echoed_with_its_password() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(database_url="mysql://admin:hunter2@db/x", _env_file=None)

    assert "only sqlite" in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_discount_bounds_are_enforced() -> None:
    with pytest.raises(ValidationError):
        Settings(spot_discount_pct=120, _env_file=None)


def test_default_discounts_match_the_catalog_defaults() -> None:
    settings = Settings(_env_file=None)

    assert settings.commitment_one_year_discount_pct == DEFAULT_DISCOUNTS.one_year_pct
    assert settings.commitment_three_year_discount_pct == DEFAULT_DISCOUNTS.three_year_pct
    assert settings.spot_discount_pct == DEFAULT_DISCOUNTS.spot_pct


def test_api_key_is_masked_in_repr() -> None:
    settings = Settings(billing_api_key="s3cr3t-value", _env_file=None)

    assert "s3cr3t-value" not in repr(settings)


def test_json_logging_writes_one_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(log_json=True, _env_file=None))

    logging.getLogger("tightrope.test").warning("refreshed %d rows", 3)

    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["message"] == "refreshed 3 rows"
    assert record["level"] == "WARNING"
    logging.getLogger().removeHandler(logging.getLogger().handlers[-1])
