"""Offline check of a strategic-merge patch against the Kubernetes OpenAPI schema of its kind.

The schemas are the ones kubernetes-validate ships (the "strict" variants: an unknown field is
an error, so a typo such as `request:` cannot slip through). A patch is partial by nature — a
Deployment patch has no selector — so every `required` list is dropped before checking; the
merge key a strategic merge needs (a container's `name`) is checked here instead.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema
from referencing import Registry, Resource

from data.errors import InvalidPatch

_API_GROUP = re.compile(r"^([^./]*)(?:\.[^/]*)?/")


def validate_patch(patch: dict[str, Any], kubernetes_version: str) -> None:
    """InvalidPatch (naming the field and the reason) unless `patch` fits its kind's schema."""
    validator = _validator(str(patch.get("kind", "")), str(patch.get("apiVersion", "")),
                           kubernetes_version)  # fmt: skip
    error = jsonschema.exceptions.best_match(validator.iter_errors(patch))
    if error is not None:
        where = ".".join(str(part) for part in error.absolute_path) or "(the document)"
        raise InvalidPatch(f"{patch.get('kind')} patch is invalid at {where}: {error.message}")
    for where, container in _containers(patch):
        if not isinstance(container, dict) or not container.get("name"):
            raise InvalidPatch(f"{patch.get('kind')} patch is invalid at {where}: a container "
                               "needs its name (the strategic-merge key)")  # fmt: skip


def _containers(patch: dict[str, Any]) -> list[tuple[str, Any]]:
    spec = patch.get("spec") or {}
    if patch.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    pod = ((spec.get("template") or {}).get("spec")) or {}
    found = pod.get("containers") or []
    return [(f"containers[{index}]", item) for index, item in enumerate(found)]


@lru_cache(maxsize=32)
def _validator(kind: str, api_version: str, kubernetes_version: str) -> Any:
    folder = _schema_folder(kubernetes_version)
    group = _API_GROUP.sub(r"\1-", api_version)
    try:
        schema = _load(folder / f"{kind.lower()}-{group}.json")
    except FileNotFoundError as missing:
        raise InvalidPatch(
            f"no Kubernetes {kubernetes_version} schema for kind {kind!r} in {api_version!r}"
        ) from missing
    definitions = _load(folder / "_definitions.json")
    registry: Registry[Any] = Resource.from_contents(definitions) @ Registry()
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _schema_folder(kubernetes_version: str) -> Any:
    """The newest schema folder not newer than `kubernetes_version` (as kubernetes-validate)."""
    root = resources.files("kubernetes_validate") / "kubernetes-json-schema"
    wanted = _minor(kubernetes_version)
    versions = sorted(
        (_minor(entry.name[1:].removesuffix("-local-strict")), entry.name)
        for entry in root.iterdir()
        if entry.name.startswith("v") and entry.name.endswith("-local-strict")
    )
    fitting = [name for minor, name in versions if minor <= wanted]
    if not fitting:
        raise InvalidPatch(f"no Kubernetes schemas as old as {kubernetes_version}")
    return root / fitting[-1]


def _minor(version: str) -> tuple[int, int]:
    parts = version.removeprefix("v").split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError) as bad:
        raise InvalidPatch(f"not a Kubernetes version: {version!r}") from bad


def _load(path: Any) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        found: dict[str, Any] = _without_required(json.load(handle))
        return found


def _without_required(node: Any, *, in_properties: bool = False) -> Any:
    """The schema with every `required` list dropped (a property *named* required is kept)."""
    if isinstance(node, list):
        return [_without_required(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: _without_required(value, in_properties=key == "properties" and not in_properties)
        for key, value in node.items()
        if in_properties or key != "required"
    }
