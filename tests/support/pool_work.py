"""Functions the pool tests send to worker processes (importable by name, as any pool job is)."""

from __future__ import annotations

import os

from engine.errors import InsufficientData


def worker_pid(*_args: object) -> int:
    """The process that ran the call (whatever its arguments: it stands in for any function)."""
    return os.getpid()


def refuse(reason: str) -> int:
    """An engine error raised inside the worker."""
    raise InsufficientData(reason)


def die(*_args: object) -> int:
    """A worker that stops dead (as an OOM kill would), without raising (whatever the call's
    arguments: it stands in for any pooled function)."""
    os._exit(3)
