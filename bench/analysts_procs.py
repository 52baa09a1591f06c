"""bench_analysts.py's view of the processes: the server's, CPU seconds, memory, CPU pinning."""

from __future__ import annotations

import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def pin_tree(root: int, cpus: set[int], *, skip: int | None = None) -> None:
    """Every thread of `root` and of its descendants (but `skip`'s subtree) on `cpus`; what
    they start later inherits it."""
    skipped = set() if skip is None else {skip, *descendants(skip)}
    for pid in [root, *descendants(root)]:
        if pid in skipped:
            continue
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                os.sched_setaffinity(int(task.name), cpus)
            except OSError:  # the thread or process ended meanwhile
                continue


def server_pid() -> int:
    """The dashboard process: this process's child running `-m dashboard`."""
    for pid in descendants(os.getpid()):
        if b"dashboard" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return pid
    raise RuntimeError("the dashboard process was not found")


def descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def tree_cpu_s(root: int) -> float:
    """User + system CPU of `root` and its live descendants (the server: its pool workers)."""
    return sum(process_cpu_s(pid) for pid in [root, *descendants(root)])


def process_cpu_s(pid: int) -> float:
    """User + system CPU of one process, every thread (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def status_kib(pid: int) -> tuple[int, int]:
    values = {"VmRSS:": 0, "VmHWM:": 0}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        parts = line.split()
        if parts and parts[0] in values:
            values[parts[0]] = int(parts[1])
    return values["VmRSS:"], values["VmHWM:"]
