"""Which test files can see the wall clock, so the faketime pass re-runs only those (decision 027).

`make test` records, per test file, whether any of its tests (setup, call or teardown) read
`SystemClock.now` (the product's only read of the wall clock, test_one_clock.py) or started a
process (whose clock this process cannot watch). A file that did neither ran on fixed clocks
only: under faketime it computes the same thing. `make test-time` leaves those files out, and
only when the record was made on these very sources (a digest of the code and tests), by a
full run that passed; otherwise, and for any file the record does not know, it runs them all.
"""

from __future__ import annotations

import _posixsubprocess
import functools
import hashlib
import json
import multiprocessing.process
import os
import subprocess
from collections import defaultdict
from collections.abc import Callable, Generator, Iterable
from pathlib import Path
from typing import Any

import pytest

from data.clock import SystemClock

REPO_ROOT = Path(__file__).resolve().parents[2]
# What a test's outcome can depend on: the code, the tests, their data, the pinned packages.
HASHED_DIRS = ("api", "bench", "dashboard", "data", "deploy", "engine", "jobs", "tests")
HASHED_FILES = ("Makefile", "alembic.ini", "pyproject.toml", "requirements.txt",
                "requirements-dev.txt")  # fmt: skip
PROPERTY = "clock_observed"

_current: list[str] = []  # the node id of the running test, if one runs
_seen: dict[str, set[str]] = defaultdict(set)  # node id -> what it did (on this process)
_outside: set[str] = set()  # observed with no test running (collection, session start)
_observed_by_file: dict[str, set[str]] = defaultdict(set)  # controller: file -> observations
_ran: set[str] = set()  # controller: files whose tests reported
_left_out: list[str] = []
_digest_at_start: list[str] = []  # the sources this run started on (a record names those)


def _observe(what: str) -> None:
    if _current:
        _seen[_current[0]].add(what)
    else:
        _outside.add(what)


def _watched(owner: Any, name: str, what: str) -> None:
    """Wrap `owner.name` so that each call is observed as `what`."""
    original: Callable[..., Any] = getattr(owner, name)
    if getattr(original, "_clock_reads_watched", False):
        return  # a second pytest session in this process (pytester in process)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _observe(what)
        return original(*args, **kwargs)

    wrapper._clock_reads_watched = True  # type: ignore[attr-defined]
    setattr(owner, name, wrapper)


def _install() -> None:
    # subprocess and multiprocessing's spawn/forkserver start children through fork_exec (or
    # posix_spawn); multiprocessing's fork context and a bare os.fork through os.fork. (Not
    # caught: a C extension's own fork; playwright's driver starts through subprocess.)
    _watched(SystemClock, "now", "read SystemClock.now")
    _watched(_posixsubprocess, "fork_exec", "started a process")
    _watched(subprocess, "_fork_exec", "started a process")  # subprocess's own reference
    # A fork server's children are forked by it, not by us: catch every multiprocessing start.
    _watched(multiprocessing.process.BaseProcess, "start", "started a process")
    for name in ("fork", "posix_spawn", "posix_spawnp"):
        _watched(os, name, "started a process")


def sources_digest(root: Path = REPO_ROOT) -> str:
    """sha256 over every source, test and pinned-requirements file (paths and contents)."""
    digest = hashlib.sha256()
    for path in _hashed_paths(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _hashed_paths(root: Path) -> Iterable[Path]:
    for name in HASHED_FILES:
        if (root / name).is_file():
            yield root / name
    for top in HASHED_DIRS:
        for path in sorted((root / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                yield path


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("clock reads (decision 027)")
    group.addoption(
        "--record-clock-reads",
        metavar="PATH",
        help="after a full passing run, write which test files saw the wall clock to PATH",
    )
    group.addoption(
        "--skip-calendar-free",
        metavar="PATH",
        help="leave out the test files PATH records as never seeing the wall clock",
    )


def pytest_configure(config: pytest.Config) -> None:
    _install()


def pytest_sessionstart(session: pytest.Session) -> None:
    """On the xdist controller (which collects nothing), say what the workers leave out; when
    recording, digest the sources now, before an edit made during the run could change them."""
    if hasattr(session.config, "workerinput"):
        return
    if session.config.getoption("record_clock_reads"):
        _digest_at_start[:] = [sources_digest()]
    record_path = session.config.getoption("skip_calendar_free")
    if record_path:
        _calendar_free_files(Path(record_path))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    _current[:] = [item.nodeid]
    try:
        return (yield)
    finally:
        _current.clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Carry what the test observed so far (and anything observed outside a test) on its
    report: under pytest-xdist the controller, which writes the record, runs no test."""
    report: pytest.TestReport = yield
    observed = sorted(_seen.get(item.nodeid, set()) | {f"outside a test: {o}" for o in _outside})
    _outside.clear()
    report.user_properties = [*report.user_properties, (PROPERTY, observed)]
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = report.nodeid.split("::", 1)[0]
    _ran.add(path)
    observed: Iterable[str] = dict(report.user_properties).get(PROPERTY, ())  # type: ignore[assignment]
    _observed_by_file[path].update(observed)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    record_path = config.getoption("skip_calendar_free")
    if not record_path:
        return
    calendar_free = set(_calendar_free_files(Path(record_path)))
    kept = [item for item in items if item.nodeid.split("::", 1)[0] not in calendar_free]
    dropped = [item for item in items if item.nodeid.split("::", 1)[0] in calendar_free]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _calendar_free_files(record_path: Path) -> list[str]:
    """The files a record made on these sources found calendar-free; none without one."""
    _left_out.clear()
    if not record_path.is_file():
        _left_out.append(f"no record at {record_path}: every file runs")
        return []
    record = json.loads(record_path.read_text())
    if record.get("sources") != sources_digest():
        _left_out.append(f"{record_path} was made on other sources: every file runs")
        return []
    files: list[str] = record["calendar_free"]
    _left_out.append(f"{len(files)} files left out, never saw the wall clock under make test")
    return files


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    record_path = config.getoption("record_clock_reads")
    if not record_path or hasattr(config, "workerinput"):
        return
    why_not = _why_no_record(config, exitstatus) or _changed_since_start()
    if why_not:
        _left_out.append(f"no clock-reads record written: {why_not}")
        return
    calendar_free = sorted(f for f in _ran if not _observed_by_file.get(f))
    record = {
        "sources": _digest_at_start[0],
        "calendar_free": calendar_free,
        "observed": {f: sorted(o) for f, o in sorted(_observed_by_file.items()) if o},
    }
    Path(record_path).parent.mkdir(parents=True, exist_ok=True)
    Path(record_path).write_text(json.dumps(record, indent=1) + "\n")
    _left_out.append(f"{record_path}: {len(calendar_free)} of {len(_ran)} files calendar-free")


def _why_no_record(config: pytest.Config, exitstatus: int) -> str:
    if exitstatus != 0:
        return f"the run did not pass (exit status {exitstatus})"
    if config.option.keyword or config.option.markexpr:
        return "tests were selected with -k or -m (a file may have run in part)"
    outside = sorted(o for seen in _observed_by_file.values() for o in seen if "outside" in o)
    return f"the wall clock was seen outside any test ({outside[0]})" if outside else ""


def _changed_since_start() -> str:
    if sources_digest() != _digest_at_start[0]:
        return "the sources changed while the tests ran"
    return ""


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in _left_out:
        terminalreporter.write_line(f"clock reads: {line}")
