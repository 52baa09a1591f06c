"""`python -m jobs recompute` as an operator runs it, against a seeded SQLite file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.db import make_engine, make_sessions
from data.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
END = datetime(2026, 11, 20, tzinfo=UTC)


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated, empty SQLite file."""
    path = tmp_path / "tightrope.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def seeded_url(sqlite_url: str) -> str:
    engine = make_engine(Settings(database_url=sqlite_url, _env_file=None))
    seed_demo_fleet(make_sessions(engine), load_catalog(), seed=7, n_services=6, days=21, end=END)
    engine.dispose()
    return sqlite_url


def _run_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TIGHTROPE_DATABASE_URL": database_url,
        "TIGHTROPE_LOG_JSON": "false",
        "TIGHTROPE_LOG_LEVEL": "INFO",
    }
    return subprocess.run(
        [sys.executable, "-m", "jobs", "recompute", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_recompute_exits_zero_and_logs_its_counts(seeded_url: str) -> None:
    result = _run_cli(seeded_url, "--profile", "balanced")

    assert result.returncode == 0, result.stderr
    assert "6 services" in result.stderr
    assert "created=" in result.stderr
    assert "superseded=0" in result.stderr


def test_recompute_without_usage_exits_two_with_a_message(sqlite_url: str) -> None:
    result = _run_cli(sqlite_url)

    assert result.returncode == 2
    assert "no usage data" in result.stderr


def test_recompute_on_an_unmigrated_database_exits_two(tmp_path: Path) -> None:
    result = _run_cli(f"sqlite:///{tmp_path / 'blank.db'}")

    assert result.returncode == 2
    assert "python -m data migrate" in result.stderr
