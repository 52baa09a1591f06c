"""The faketime pass leaves out only the files make test saw never reading the wall clock."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from tests.support.clock_reads import REPO_ROOT

POOL = """
import multiprocessing, os
from concurrent.futures import ProcessPoolExecutor
def test_a_pool_worker_runs_a_call():
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        assert pool.submit(os.getpid).result() != os.getpid()
"""
FILES = {
    "test_fixed.py": """
from datetime import UTC, datetime
from data.clock import FixedClock
def test_a_fixed_clock():
    assert FixedClock(datetime(2026, 1, 1, tzinfo=UTC)).now().year == 2026
def test_no_clock_at_all():
    assert 1 + 1 == 2
""",
    "test_reads.py": """
from data.clock import SystemClock
def test_reads_the_wall_clock():
    assert SystemClock().now().tzinfo is not None
""",
    "test_reads_in_a_fixture.py": """
import pytest
from data.clock import system_now
@pytest.fixture(scope="module")
def started():
    return system_now()
def test_first(started):
    assert started.tzinfo is not None
def test_second_reads_nothing_itself():
    pass
""",
    "test_spawns.py": """
import subprocess, sys
def test_starts_a_process():
    subprocess.run([sys.executable, "-c", "pass"], check=True)
""",
    # The second file's pool forks from the fork server the first started: no fork here.
    "test_pool_1_starts_the_fork_server.py": POOL,
    "test_pool_2_reuses_it.py": POOL,
}


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    pytester.makepyfile(**FILES)
    return pytester


def _run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest_subprocess(
        "-p", "tests.support.clock_reads", "-p", "no:cacheprovider", *args
    )


def test_the_pass_leaves_out_what_the_record_found_calendar_free_on_those_sources_only(
    project: pytest.Pytester,
) -> None:
    record = project.path / "reads.json"

    _run(project, f"--record-clock-reads={record}").assert_outcomes(passed=8)

    written = json.loads(record.read_text())
    assert written["calendar_free"] == ["test_fixed.py"]
    assert written["observed"] == {
        "test_reads.py": ["read SystemClock.now"],
        "test_reads_in_a_fixture.py": ["read SystemClock.now"],
        "test_spawns.py": ["started a process"],
        "test_pool_1_starts_the_fork_server.py": ["started a process"],
        "test_pool_2_reuses_it.py": ["started a process"],
    }
    skipping = _run(project, f"--skip-calendar-free={record}")
    skipping.assert_outcomes(passed=6, deselected=2)
    skipping.stdout.fnmatch_lines(["*1 files left out, never saw the wall clock*"])
    record.write_text(json.dumps({**written, "sources": "0" * 64}))
    stale = _run(project, f"--skip-calendar-free={record}")
    stale.assert_outcomes(passed=8)
    stale.stdout.fnmatch_lines(["*was made on other sources: every file runs*"])


def test_a_failing_or_partial_run_writes_no_record(project: pytest.Pytester) -> None:
    record = project.path / "reads.json"
    project.makepyfile(test_fails="def test_fails():\n    assert False\n")

    _run(project, f"--record-clock-reads={record}").assert_outcomes(passed=8, failed=1)
    _run(project, f"--record-clock-reads={record}", "-k", "fixed").assert_outcomes(passed=2)

    assert not record.exists()


def test_the_dashboard_pools_workers_are_watched_in_their_own_process(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    pool = """
import os
from data.clock import system_now
from data.pool import ProcessRunner
def test_a_pool_call():
    runner = ProcessRunner(1)
    try:
        assert {call}
    finally:
        runner.shutdown()
"""
    pytester.makepyfile(
        test_pool_pure=pool.format(call="runner.run(os.getpid) != os.getpid()"),
        test_pool_reads=pool.format(call="runner.run(system_now).tzinfo is not None"),
    )
    record = pytester.path / "reads.json"

    _run(pytester, f"--record-clock-reads={record}").assert_outcomes(passed=2)

    written = json.loads(record.read_text())
    assert written["observed"] == {"test_pool_reads.py": ["a pool worker read SystemClock.now"]}
    assert written["calendar_free"] == ["test_pool_pure.py"]


def test_a_read_between_two_tests_is_charged_to_the_one_before(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a thread left running by a test would do after it ended, made deterministic: a
    wrapper outside the recorder's reads the clock once the first test's protocol is over."""
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    pytester.makeconftest("""
import pytest
from data.clock import SystemClock
@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    result = yield
    if item.name == "test_first":
        SystemClock().now()
    return result
""")
    pytester.makepyfile(
        test_a="def test_first():\n    pass\n", test_b="def test_then():\n    pass\n"
    )
    record = pytester.path / "reads.json"

    _run(pytester, f"--record-clock-reads={record}").assert_outcomes(passed=2)

    written = json.loads(record.read_text())
    assert written["calendar_free"] == ["test_b.py"]
    assert written["observed"] == {"test_a.py": ["after its test ended: read SystemClock.now"]}


def test_a_run_leaves_no_report_directory_behind(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each pytest process (every xdist worker too) makes one for the pool workers' reports."""
    # A short TMPDIR: the fork server's socket path must fit AF_UNIX's 108 bytes.
    with tempfile.TemporaryDirectory(dir="/tmp", prefix="tr-") as scratch:
        monkeypatch.setenv("TMPDIR", scratch)

        _run(project, "-k", "pool or fixed").assert_outcomes(passed=4, deselected=4)

        assert list(Path(scratch).glob("tightrope-clock-reads-*")) == []
