"""How many engine processes a command starts unless told: kept light for the CLI's parser."""

from __future__ import annotations

import os


def default_workers() -> int:
    """One worker per CPU this process may use (at least 1)."""
    return max(len(os.sched_getaffinity(0)), 1)
