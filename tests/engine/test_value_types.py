"""Engine values are typed: no frozen dataclass field is a `dict[str, Any]` or a `Mapping` alike."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"
_MAPPINGS = {"dict", "Dict", "Mapping", "MutableMapping"}


def _name(node: ast.AST) -> str:
    """`Any`, `typing.Any` and `t.Any` all end in the same attribute name."""
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def _is_any_mapping(node: ast.expr, aliases: set[str]) -> bool:
    """The annotation holds a str → Any mapping anywhere (a union, a tuple, an alias of one)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # a quoted annotation
        try:
            return _is_any_mapping(ast.parse(node.value, mode="eval").body, aliases)
        except SyntaxError:  # a module-level text constant, not a type
            return False
    for part in ast.walk(node):
        if _name(part) in aliases:
            return True
        if isinstance(part, ast.Subscript) and _name(part.value) in _MAPPINGS:
            args = part.slice.elts if isinstance(part.slice, ast.Tuple) else [part.slice]
            if len(args) == 2 and (_name(args[0]), _name(args[1])) == ("str", "Any"):
                return True
    return False


def _is_frozen_dataclass(node: ast.ClassDef) -> bool:
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call) and _name(decorator.func) == "dataclass":
            frozen = [k for k in decorator.keywords if k.arg == "frozen"]
            if frozen and isinstance(frozen[0].value, ast.Constant) and frozen[0].value.value:
                return True
    return False


def _loose_fields(source: str, where: str) -> list[str]:
    tree = ast.parse(source)
    aliases: set[str] = set()
    for node in tree.body:  # module-level aliases such as `Json = dict[str, Any]`
        target, value = _alias(node)
        if target and value is not None and _is_any_mapping(value, aliases):
            aliases.add(target)
    found = []
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        if not _is_frozen_dataclass(cls):
            continue
        fields = [n for n in cls.body if isinstance(n, ast.AnnAssign)]
        found += [
            f"{where}:{field.lineno} {cls.name}.{ast.unparse(field.target)}"
            for field in fields
            if _is_any_mapping(field.annotation, aliases)
        ]
    return found


def _alias(node: ast.stmt) -> tuple[str, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        return _name(node.targets[0]), node.value
    if isinstance(node, ast.AnnAssign) and node.value is not None:
        return _name(node.target), node.value
    return "", None


def test_no_engine_value_has_a_loosely_typed_mapping_field() -> None:
    found = [
        name
        for path in sorted(ENGINE.rglob("*.py"))
        for name in _loose_fields(path.read_text(encoding="utf-8"), str(path.relative_to(ENGINE)))
    ]

    assert found == []


def test_the_scan_finds_each_loose_form() -> None:
    source = """
from dataclasses import dataclass
import typing
from typing import Any, Mapping
Json = dict[str, Any]

@dataclass(frozen=True, slots=True)
class Loose:
    a: dict[str, Any]
    b: Mapping[str, typing.Any] | None = None
    c: "dict[str, Any]" = None
    d: tuple[Json, ...] = ()
    fine: dict[str, int] = None

@dataclass
class Mutable:
    e: dict[str, Any]
"""
    assert _loose_fields(source, "x") == [
        "x:9 Loose.a",
        "x:10 Loose.b",
        "x:11 Loose.c",
        "x:12 Loose.d",
    ]
