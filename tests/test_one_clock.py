"""One clock: no page, query, job or test reads the wall clock except through data/clock.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from data.clock import FixedClock, SystemClock, clock_for
from data.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("engine", "data", "jobs", "dashboard", "api", "tests", "bench")
CLOCK_MODULE = REPO_ROOT / "data" / "clock.py"
# attribute called → the names it reads the wall clock on (datetime.now(), date.today(), …)
WALL_CLOCK_READS = {
    "now": {"datetime", "Timestamp", "pd.Timestamp", "pandas.Timestamp"},
    "utcnow": {"datetime", "Timestamp", "pd.Timestamp", "pandas.Timestamp"},
    "today": {"date", "datetime", "Timestamp", "pd.Timestamp", "pandas.Timestamp"},
    "time": {"time"},
    "localtime": {"time"},
}


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def wall_clock_reads(source: str) -> list[int]:
    """Line numbers of direct wall-clock reads: `datetime.now(…)`, `date.today()`, `time.time()`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = _dotted(node.func.value)
            names = WALL_CLOCK_READS.get(node.func.attr, set())
            if owner is not None and (owner in names or owner.rsplit(".", 1)[-1] in names):
                found.append(node.lineno)
    return found


def test_the_scanner_finds_every_kind_of_wall_clock_read() -> None:
    source = (
        "import datetime as dt\nfrom datetime import date, datetime\nimport time\n"
        "a = datetime.now(UTC)\nb = date.today()\nc = dt.datetime.now()\nd = time.time()\n"
        "e = pd.Timestamp.now(tz='UTC')\nf = datetime.utcnow()\n"
        "ok = clock.now()\nok2 = time.monotonic()\nok3 = start.now\n"
    )
    assert wall_clock_reads(source) == [4, 5, 6, 7, 8, 9]


def test_no_module_reads_the_wall_clock_but_the_clock_module() -> None:
    offenders: list[str] = []
    for folder in SCANNED:
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            if path == CLOCK_MODULE or path == Path(__file__).resolve():
                continue
            lines = wall_clock_reads(path.read_text(encoding="utf-8"))
            offenders.extend(f"{path.relative_to(REPO_ROOT)}:{line}" for line in lines)
    assert offenders == [], "read 'now' from the injected clock (data/clock.py), not the wall clock"


def test_settings_name_the_clock_a_fixed_instant_stops_it() -> None:
    frozen = Settings(_env_file=None, clock_fixed_at="2027-12-31T23:30:00+00:00")
    assert isinstance(Settings(_env_file=None).clock(), SystemClock)
    assert frozen.clock().now().isoformat() == "2027-12-31T23:30:00+00:00"
    assert clock_for(None).now().tzinfo is not None


def test_a_fixed_clock_refuses_a_naive_instant() -> None:
    from datetime import datetime

    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2027, 1, 1))
