"""`python -m data bootstrap` seeds the demo fleet only when TIGHTROPE_DEMO=true (make run)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from data.db import make_engine
from data.models import ServiceRow
from data.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_bootstrap_without_demo_migrates_an_empty_database_and_seeds_nothing(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"

    result = _bootstrap(url, demo=None)

    assert result.returncode == 0, result.stderr
    assert "demo seeding off (TIGHTROPE_DEMO is not true): migrated only" in result.stderr
    assert _services(url) == 0


def test_bootstrap_with_demo_seeds_an_empty_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"

    result = _bootstrap(url, demo="true")

    assert result.returncode == 0, result.stderr
    assert _services(url) == 3


def test_the_makefile_run_target_asks_for_the_demo() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    run_target = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]

    assert "TIGHTROPE_DEMO=true $(PY) -m data bootstrap" in run_target


def _bootstrap(url: str, *, demo: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TIGHTROPE_DEMO"}
    env.update(TIGHTROPE_DATABASE_URL=url, TIGHTROPE_DEMO_SERVICES="3", TIGHTROPE_DEMO_DAYS="2",
               TIGHTROPE_CLOCK_FIXED_AT="2026-11-20T12:00:00+00:00")  # fmt: skip
    if demo is not None:
        env["TIGHTROPE_DEMO"] = demo
    return subprocess.run(
        [sys.executable, "-m", "data", "bootstrap"], cwd=REPO_ROOT, env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip


def _services(url: str) -> int:
    engine = make_engine(Settings(database_url=url, _env_file=None))
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(ServiceRow))
    engine.dispose()
    return int(count or 0)
