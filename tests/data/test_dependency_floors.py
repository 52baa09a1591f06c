"""Known-vulnerable versions of what parses untrusted files can never be installed."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements.txt"
# CVE-2023-47248: pyarrow 0.14.0–14.0.0 deserialises arbitrary Python objects from IPC and
# Parquet metadata (arbitrary code execution on a crafted upload). threats.md item 21.
FLOORS = {"pyarrow": (14, 0, 1)}


def _release(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


@pytest.mark.parametrize("package", sorted(FLOORS))
def test_the_installed_version_is_above_the_vulnerable_range(package: str) -> None:
    assert _release(version(package)) >= FLOORS[package]


@pytest.mark.parametrize("package", sorted(FLOORS))
def test_the_pinned_version_is_above_the_vulnerable_range(package: str) -> None:
    pins = dict(
        line.split("==", 1) for line in REQUIREMENTS.read_text().splitlines() if "==" in line
    )
    pinned = {name.strip().lower(): pin.split()[0] for name, pin in pins.items()}

    assert _release(pinned[package]) >= FLOORS[package]
