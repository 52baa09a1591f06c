"""House limits: no production function over 60 lines, no production module over 400 (style.md)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("engine", "data", "jobs", "dashboard", "api")
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400
# Migrations are frozen history: their long upgrade() bodies are never edited again.
EXCLUDED_DIRS = frozenset({"migrations"})
# Known offenders being split elsewhere; an entry here is a debt with an owner, not a licence.
ALLOWED: frozenset[str] = frozenset()


def too_long(source: str, path: str) -> list[str]:
    """The module, and each function (methods and nested ones too), over the limits."""
    found = []
    lines = len(source.splitlines())
    if lines > MAX_MODULE_LINES:
        found.append(f"{path}: module of {lines} lines (limit {MAX_MODULE_LINES})")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(
                    f"{path}:{node.lineno}: {node.name}() of {length} lines "
                    f"(limit {MAX_FUNCTION_LINES})"
                )
    return found


def production_modules() -> list[Path]:
    return [
        path
        for top in SCANNED
        for path in sorted((REPO_ROOT / top).rglob("*.py"))
        if not EXCLUDED_DIRS & set(path.relative_to(REPO_ROOT).parts)
    ]


def test_the_scan_finds_a_long_function_a_long_method_and_a_long_module() -> None:
    body = [f"x{i} = {i}" for i in range(MAX_FUNCTION_LINES)]
    function = ["def long():", *(f"    {line}" for line in body)]
    method = ["class C:", "    def method(self):", *(f"        {line}" for line in body)]
    source_lines = [*function, "", "", *method]
    padding = [""] * (MAX_MODULE_LINES + 1 - len(source_lines))
    source = "\n".join([*source_lines, *padding]) + "\n"

    found = too_long(source, "m.py")

    assert found == [
        f"m.py: module of {MAX_MODULE_LINES + 1} lines (limit {MAX_MODULE_LINES})",
        f"m.py:1: long() of {MAX_FUNCTION_LINES + 1} lines (limit {MAX_FUNCTION_LINES})",
        f"m.py:65: method() of {MAX_FUNCTION_LINES + 1} lines (limit {MAX_FUNCTION_LINES})",
    ]


def test_a_function_at_the_limit_passes() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES - 1))

    assert too_long(f"def fits():\n{body}", "m.py") == []


def test_the_scan_covers_every_tier_but_skips_migrations() -> None:
    scanned = {path.relative_to(REPO_ROOT).as_posix() for path in production_modules()}

    tiers = {
        "engine/recommendation.py",
        "data/guard.py",
        "jobs/recompute.py",
        "dashboard/actions.py",
    }
    assert tiers <= scanned
    assert not any("/migrations/" in p for p in scanned)


def test_no_production_function_or_module_is_too_long() -> None:
    offenders = [
        finding
        for path in production_modules()
        if (name := path.relative_to(REPO_ROOT).as_posix()) not in ALLOWED
        for finding in too_long(path.read_text(encoding="utf-8"), name)
    ]

    assert offenders == [], "split these by concept (style.md):\n" + "\n".join(offenders)


def test_every_allowed_offender_still_exists_and_still_offends() -> None:
    # An entry that no longer offends must go, so the allowlist cannot silently grow stale.
    stale = [
        name
        for name in sorted(ALLOWED)
        if not (REPO_ROOT / name).exists()
        or not too_long((REPO_ROOT / name).read_text(encoding="utf-8"), name)
    ]

    assert stale == [], f"drop these from ALLOWED: {stale}"
