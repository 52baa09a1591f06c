"""Functions the pool tests send to worker processes (importable by name, as any pool job is)."""

from __future__ import annotations

import os

from engine.errors import InsufficientData


def worker_pid() -> int:
    """The process that ran the call."""
    return os.getpid()


def refuse(reason: str) -> int:
    """An engine error raised inside the worker."""
    raise InsufficientData(reason)


def die() -> int:
    """A worker that stops dead (as an OOM kill would), without raising."""
    os._exit(3)
