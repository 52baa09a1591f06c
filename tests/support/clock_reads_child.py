"""Preloaded in the dashboard pool's fork server: its workers report wall-clock reads to a file.

tests/support/clock_reads.py adds this module to data.pool.PRELOAD; the fork server imports
it once and every worker it forks inherits the watch. A worker that reads `SystemClock.now` or
starts a process appends a line to a file in CLOCK_READS_CHILD_DIR, which the test's process
reads back after each test phase (pool calls are synchronous, so the line is there by then).
"""

from __future__ import annotations

import _posixsubprocess
import functools
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from data.clock import SystemClock

CHILD_DIR_ENV = "CLOCK_READS_CHILD_DIR"


def _report(what: str) -> None:
    directory = os.environ.get(CHILD_DIR_ENV)
    if directory:
        with (Path(directory) / f"worker-{os.getpid()}").open("a") as out:
            out.write(what + "\n")


def _watch(owner: Any, name: str, what: str) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _report(what)
        return original(*args, **kwargs)

    setattr(owner, name, wrapper)


# Not os.fork: the fork server forks every worker with it.
_watch(SystemClock, "now", "a pool worker read SystemClock.now")
_watch(_posixsubprocess, "fork_exec", "a pool worker started a process")
_watch(subprocess, "_fork_exec", "a pool worker started a process")
for _name in ("posix_spawn", "posix_spawnp"):
    _watch(os, _name, "a pool worker started a process")
