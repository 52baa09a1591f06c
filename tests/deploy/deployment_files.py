"""Read the deployment files the way Docker, Compose and Kubernetes do (the parts tests need)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
KUBERNETES_DIR = REPO_ROOT / "deploy" / "kubernetes"


def dockerfile_instructions(path: Path = REPO_ROOT / "Dockerfile") -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending = f"{pending} {line[:-1]}" if line.endswith("\\") else f"{pending} {line}"
        if not line.endswith("\\"):
            keyword, _, rest = pending.strip().partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
            pending = ""
    return instructions


def image_environment() -> dict[str, str]:
    """Every ENV KEY=VALUE of the Dockerfile."""
    env: dict[str, str] = {}
    for keyword, rest in dockerfile_instructions():
        if keyword == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def image_command() -> list[str]:
    """The image's CMD (exec form)."""
    commands = [json.loads(rest) for keyword, rest in dockerfile_instructions() if keyword == "CMD"]
    assert len(commands) == 1, "the Dockerfile has one CMD, in exec form"
    return list(commands[0])


def image_value(keyword: str) -> str:
    values = [rest for name, rest in dockerfile_instructions() if name == keyword]
    assert len(values) == 1, f"the Dockerfile has one {keyword}"
    return values[0]


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def compose_command(service: str) -> list[str]:
    command = compose()["services"][service]["command"]
    assert isinstance(command, list), f"{service}: exec-form command"
    return [str(part) for part in command]


def kubernetes_documents(*, include_examples: bool = True) -> list[dict[str, Any]]:
    """Every resource under deploy/kubernetes/ (the Kustomization itself left out)."""
    documents = []
    for path in sorted(KUBERNETES_DIR.glob("*.yaml")):
        if path.name == "kustomization.yaml" or (
            not include_examples and path.name.endswith(".example.yaml")
        ):
            continue
        documents += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return documents


def kustomization() -> dict[str, Any]:
    loaded = yaml.safe_load((KUBERNETES_DIR / "kustomization.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def named(documents: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [d for d in documents if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"one {kind} {name}"
    return found[0]
