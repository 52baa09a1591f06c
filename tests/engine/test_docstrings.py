"""Every public function, method and property of the engine states its rule in a docstring."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"


def _undocumented(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    scopes: list[ast.Module | ast.ClassDef] = [tree]
    scopes += [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    for scope in scopes:
        for node in scope.body:  # module- and class-level only: nested helpers are private
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            if ast.get_docstring(node) is None:
                found.append(f"{path.relative_to(ENGINE.parent)}:{node.lineno} {node.name}")
    return found


def test_every_public_engine_function_has_a_docstring() -> None:
    missing = [name for path in sorted(ENGINE.rglob("*.py")) for name in _undocumented(path)]

    assert missing == []
