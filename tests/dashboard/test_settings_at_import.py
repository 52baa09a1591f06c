"""Importing the dashboard's modules reads no settings: the process reads them once, when asked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUERY_MODULES = (
    "dashboard.queries.fleet",
    "dashboard.queries.budgets",
    "dashboard.queries.data_sources",
    "dashboard.queries.simulator",
)


@pytest.mark.parametrize("module", QUERY_MODULES)
def test_a_query_module_imports_with_settings_that_would_not_validate(module: str) -> None:
    # A TTL above its bound makes Settings() raise: any read at import would fail the import.
    env = {**os.environ, "TIGHTROPE_QUERY_CACHE_TTL_S": "999999"}

    imported = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip

    assert imported.returncode == 0, imported.stderr


def test_the_first_cached_read_reads_the_settings() -> None:
    env = {**os.environ, "TIGHTROPE_QUERY_CACHE_TTL_S": "999999"}
    call = "import dashboard.queries.fleet as q; q.backlog(None)"

    called = subprocess.run(
        [sys.executable, "-c", call],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip

    assert called.returncode != 0
    assert "query_cache_ttl_s" in called.stderr
