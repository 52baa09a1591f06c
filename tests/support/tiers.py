"""Skip policy for tiers that need a real server or browser: skip locally, fail under CI=true."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Reasons given by `unavailable` in this process: the tier summary offers an install hint only
# for these, not for tests a tier skips on purpose (e.g. the scheduler under faketime).
UNAVAILABLE_REASONS: set[str] = set()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> None:
    """Skip with a visible reason, or fail when CI promised every tier runs."""
    if in_ci():
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    UNAVAILABLE_REASONS.add(reason)
    pytest.skip(reason)


def find_binary(name: str, *candidates: str) -> Path | None:
    """First existing path among explicit candidates, else whatever PATH has."""
    for candidate in candidates:
        if Path(candidate).exists():
            return Path(candidate)
    found = shutil.which(name)
    return Path(found) if found else None
