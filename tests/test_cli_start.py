"""The CLIs start light: the parsers import no subcommand's modules; every lazy handler exists."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from data.__main__ import _parser as data_parser
from data.cli import Lazy
from jobs.__main__ import JOB_NAMES
from jobs.__main__ import _parser as jobs_parser
from jobs.definitions import default_jobs

REPO_ROOT = Path(__file__).resolve().parents[1]
# What made every start cost ~2 s of CPU before the handlers were lazy (decision 027).
HEAVY = ("sqlalchemy", "pandas", "pyarrow", "alembic", "fastapi", "uvicorn", "apscheduler")


def _handlers(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, object]]:
    if "handler" in parser._defaults:
        yield path, parser._defaults["handler"]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _handlers(child, f"{path} {name}")


def _imported_modules(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in (0, 2), done.stderr  # --help exits 0, a usage error 2
    lines = [line.split("|")[-1] for line in done.stderr.splitlines() if "import time:" in line]
    return {line.strip().split(".")[0] for line in lines}


@pytest.mark.parametrize(
    "args", [("data", "--help"), ("jobs", "--help"), ("api", "--help"), ("jobs", "once", "nope")]
)
def test_help_and_usage_errors_import_no_heavy_module(args: tuple[str, ...]) -> None:
    imported = _imported_modules(*args)

    assert sorted(imported.intersection(HEAVY)) == []


@pytest.mark.parametrize("parser", [data_parser, jobs_parser], ids=["data", "jobs"])
def test_every_lazy_handler_names_a_function(
    parser: Callable[[], argparse.ArgumentParser],
) -> None:
    handlers = dict(_handlers(parser(), "python -m"))

    lazy = {path: handler for path, handler in handlers.items() if isinstance(handler, Lazy)}

    assert lazy, "no lazy handler found: the walk over the parser is broken"
    assert {path: callable(handler.resolve()) for path, handler in lazy.items()} == dict.fromkeys(
        lazy, True
    )


def test_once_offers_exactly_the_scheduled_jobs() -> None:
    scheduled = tuple(job.name for job in default_jobs(60))

    assert scheduled == JOB_NAMES
