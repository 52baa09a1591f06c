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
import multiprocessing.forkserver
import multiprocessing.process
import multiprocessing.resource_tracker
import os
import shutil
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Callable, Generator, Iterable
from pathlib import Path
from typing import Any

import pytest

import data.pool
from data.clock import SystemClock

REPO_ROOT = Path(__file__).resolve().parents[2]
# What a test's outcome can depend on: the code, the tests, their data, the pinned packages.
HASHED_DIRS = ("api", "bench", "dashboard", "data", "deploy", "engine", "jobs", "tests")
HASHED_FILES = ("Makefile", "alembic.ini", "pyproject.toml", "requirements.txt",
                "requirements-dev.txt")  # fmt: skip
PROPERTY = "clock_observed"
SESSION_PROPERTY = "clock_read_by_session_fixtures"
LATE_PROPERTY = "clock_observed_by_earlier_tests"
READ, STARTED = "read SystemClock.now", "started a process"
CHILD_MODULE, CHILD_DIR_ENV = "tests.support.clock_reads_child", "CLOCK_READS_CHILD_DIR"

_current: list[str] = []  # the node id of the running test, if one runs
_last: list[str] = []  # the node id of the test that ran last in this process
_late: dict[str, set[str]] = defaultdict(set)  # node id -> observed after it ended
_seen: dict[str, set[str]] = defaultdict(set)  # node id -> what it did (on this process)
_outside: set[str] = set()  # observed with no test running (collection, session start)
_observed_by_file: dict[str, set[str]] = defaultdict(set)  # controller: file -> observations
_session_fixtures_seen: set[str] = set()  # controller: session fixtures that read the clock
_ran: set[str] = set()  # controller: files whose tests reported
_left_out: list[str] = []
_digest_at_start: list[str] = []  # the sources this run started on (a record names those)
_session_fixture: list[str] = []  # the session-scoped fixtures being set up, innermost last
_session_reads: dict[str, set[str]] = defaultdict(set)  # fixture -> clock reads in its setup
_forkserver: list[bool] = [False]  # whether the running fork server has the worker watch
_child_dir: list[Path] = []
_quiet_starts: list[bool] = []  # True while a watched fork server starts


def _observe(what: str) -> None:
    if what == STARTED and _quiet_starts and _quiet_starts[-1]:
        return
    if _session_fixture and what == READ:
        _session_reads[_session_fixture[-1]].add(what)  # charged to the fixture, see below
    elif _current:
        _seen[_current[0]].add(what)
    elif _last:  # between tests: a thread the last test (or its fixtures) left running
        _late[_last[0]].add(f"after its test ended: {what}")
    elif what == READ:  # a process before the first test is pytest's (xdist, `uname -p`)
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
    _watched(SystemClock, "now", READ)
    _watched(_posixsubprocess, "fork_exec", STARTED)
    _watched(subprocess, "_fork_exec", STARTED)  # subprocess's own reference
    for name in ("fork", "posix_spawn", "posix_spawnp"):
        _watched(os, name, STARTED)
    _watch_pool_workers()


def _watch_pool_workers() -> None:
    """The dashboard pool's workers are forked by a fork server, not by us: preload the watch
    (clock_reads_child) there, and count any other multiprocessing start as a process."""
    directory = Path(tempfile.mkdtemp(prefix="tightrope-clock-reads-"))
    _child_dir[:] = [directory]
    os.environ[CHILD_DIR_ENV] = str(directory)
    if CHILD_MODULE not in data.pool.PRELOAD:
        setattr(data.pool, "PRELOAD", (*data.pool.PRELOAD, CHILD_MODULE))  # noqa: B010
    server = multiprocessing.forkserver.ForkServer
    if getattr(server.ensure_running, "_clock_reads_watched", False):
        return
    start, ensure_running = multiprocessing.process.BaseProcess.start, server.ensure_running

    def watched_start(self: Any) -> None:
        start(self)  # first: a fork server starts (ensure_running) within the first start
        if not (self._start_method == "forkserver" and _forkserver[0]):
            _observe(STARTED)

    def watched_ensure_running(self: Any) -> None:
        watched = CHILD_MODULE in self._preload_modules
        # The server itself only imports its preloads; what it forks is watched through them.
        _quiet_starts.append(watched)
        try:
            ensure_running(self)
        finally:
            _quiet_starts.pop()
        _forkserver[0] = watched

    def quiet_tracker(self: Any) -> None:  # multiprocessing's semaphore tracker: no code of ours
        _quiet_starts.append(True)
        try:
            tracker_running(self)
        finally:
            _quiet_starts.pop()

    watched_ensure_running._clock_reads_watched = True  # type: ignore[attr-defined]
    multiprocessing.process.BaseProcess.start = watched_start  # type: ignore[method-assign]
    server.ensure_running = watched_ensure_running  # type: ignore[method-assign]
    tracker = multiprocessing.resource_tracker.ResourceTracker
    tracker_running = tracker.ensure_running
    tracker.ensure_running = quiet_tracker  # type: ignore[method-assign]


def _drain_child_reports() -> set[str]:
    found: set[str] = set()
    for path in _child_dir[0].iterdir() if _child_dir else ():
        found.update(path.read_text().split("\n"))
        path.unlink()
    return found - {""}


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


def pytest_unconfigure(config: pytest.Config) -> None:
    """The pool workers' report directory goes with the process that made it: each pytest
    process (every xdist worker too) makes one, and 177 were left in /tmp after a session."""
    if _child_dir:
        shutil.rmtree(_child_dir.pop(), ignore_errors=True)
        os.environ.pop(CHILD_DIR_ENV, None)


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
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any]) -> Generator[None, object, object]:
    """A clock read while a session fixture is set up is the fixture's, not the test's that
    happened to need it first (the migrated templates: migration 0007 reads the clock)."""
    if fixturedef.scope != "session":
        return (yield)
    _session_fixture.append(fixturedef.argname)
    try:
        return (yield)
    finally:
        _session_fixture.pop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    _current[:] = [item.nodeid]
    try:
        return (yield)
    finally:
        _current.clear()
        _last[:] = [item.nodeid]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Carry what the test observed so far (and anything observed outside a test) on its
    report: under pytest-xdist the controller, which writes the record, runs no test."""
    report: pytest.TestReport = yield
    _seen[item.nodeid].update(_drain_child_reports())
    observed = sorted(_seen.get(item.nodeid, set()) | {f"outside a test: {o}" for o in _outside})
    _outside.clear()
    fixtures = sorted(_session_reads)
    late = {node: sorted(seen) for node, seen in _late.items()}
    _late.clear()
    report.user_properties = [*report.user_properties, (PROPERTY, observed),
                              (SESSION_PROPERTY, fixtures), (LATE_PROPERTY, late)]  # fmt: skip
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = report.nodeid.split("::", 1)[0]
    _ran.add(path)
    properties = dict(report.user_properties)
    observed: Iterable[str] = properties.get(PROPERTY, ())  # type: ignore[assignment]
    _observed_by_file[path].update(observed)
    fixtures: Iterable[str] = properties.get(SESSION_PROPERTY, ())  # type: ignore[assignment]
    _session_fixtures_seen.update(fixtures)
    late: dict[str, list[str]] = properties.get(LATE_PROPERTY, {})  # type: ignore[assignment]
    for node, seen in late.items():
        _observed_by_file[node.split("::", 1)[0]].update(seen)


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
        "session_fixtures_reading_the_clock": sorted(_session_fixtures_seen),
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
