"""The xdist file order (tests/support/schedule.py): measured files longest first, then by count."""

from __future__ import annotations

from pathlib import Path

from tests.support.schedule import file_order, seconds_per_file

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.dashboard.test_walk" name="test_a[sqlite]" time="120.5"/>
<testcase classname="tests.dashboard.test_walk" name="test_a[postgresql]" time="180.0"/>
<testcase classname="tests.engine.test_sla.TestVerdict" name="test_b" time="2.25"/>
<testcase classname="tests.engine.test_sla" name="test_c" time="0.75"/>
</testsuite></testsuites>"""


def test_seconds_are_summed_per_file_and_a_test_class_is_not_a_module(tmp_path: Path) -> None:
    report = tmp_path / "run.xml"
    report.write_text(JUNIT)
    assert seconds_per_file(str(report)) == {
        "tests/dashboard/test_walk.py": 300.5,
        "tests/engine/test_sla.py": 3.0,
    }


def test_measured_files_come_first_longest_first_then_the_rest_by_test_count() -> None:
    counts = {"tests/a.py": 1, "tests/b.py": 50, "tests/c.py": 2, "tests/d.py": 9}
    seconds = {"tests/c.py": 300.0, "tests/a.py": 40.0}
    assert file_order(counts, seconds) == ["tests/c.py", "tests/a.py", "tests/b.py", "tests/d.py"]
