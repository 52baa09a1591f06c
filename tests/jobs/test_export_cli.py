"""`python -m jobs export recommendations` as an operator runs it, on a seeded SQLite file."""

from __future__ import annotations

import csv
import io
import json
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
from engine.profiles import PROFILES
from jobs.recompute import recompute

REPO_ROOT = Path(__file__).resolve().parents[2]
END = datetime(2026, 11, 20, tzinfo=UTC)


@pytest.fixture
def seeded_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite file with the demo fleet and its recommendations."""
    path = tmp_path / "tightrope.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(Settings(database_url=url, _env_file=None))
    sessions, catalog = make_sessions(engine), load_catalog()
    seed_demo_fleet(sessions, catalog, seed=7, n_services=6, days=21, end=END)
    recompute(sessions, catalog, profile=PROFILES["balanced"], now=END)
    engine.dispose()
    return url


def run_export(database_url: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    """The CLI in a child process; stdout as bytes (the export), stderr the log."""
    env = {**os.environ, "TIGHTROPE_DATABASE_URL": database_url, "TIGHTROPE_LOG_JSON": "false"}
    return subprocess.run(
        [sys.executable, "-m", "jobs", "export", "recommendations", *args],
        cwd=REPO_ROOT, env=env, capture_output=True, timeout=180, check=False,
    )  # fmt: skip


def test_csv_goes_to_stdout_alone_and_parses(seeded_url: str) -> None:
    result = run_export(seeded_url, "--format", "csv", "--status", "open")

    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout.decode("utf-8-sig"), newline="")))
    assert rows
    assert {row["Status"] for row in rows} == {"open"}
    assert b"exported" in result.stderr
    assert b"exported" not in result.stdout


def test_output_writes_the_same_bytes_as_stdout(seeded_url: str, tmp_path: Path) -> None:
    target = tmp_path / "coh.json"

    to_file = run_export(
        seeded_url, "--format", "json", "--schema", "aws-coh", "--output", str(target)
    )
    to_stdout = run_export(seeded_url, "--format", "json", "--schema", "aws-coh")

    assert to_file.returncode == 0, to_file.stderr
    assert to_file.stdout == b""
    assert target.read_bytes() == to_stdout.stdout
    assert json.loads(target.read_bytes())["items"][0]["recommendationId"]


def test_an_unknown_format_is_refused_by_the_parser(seeded_url: str) -> None:
    result = run_export(seeded_url, "--format", "xml")

    assert result.returncode == 2
    assert b"invalid choice: 'xml'" in result.stderr
    assert result.stdout == b""


def test_an_unmigrated_database_exits_two_with_the_fix(tmp_path: Path) -> None:
    result = run_export(f"sqlite:///{tmp_path / 'blank.db'}", "--format", "json")

    assert result.returncode == 2
    assert b"python -m data migrate" in result.stderr
