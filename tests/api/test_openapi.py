"""docs/openapi.json is the app's schema: regenerate it with `python -m api openapi`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from data.settings import Settings

CHECKED_IN = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_the_checked_in_schema_is_the_apps(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    schema = create_app(settings, sessions).openapi()

    assert json.loads(CHECKED_IN.read_text()) == schema, (
        "docs/openapi.json drifted: python -m api openapi > docs/openapi.json"
    )


def test_the_command_prints_the_checked_in_file(tmp_path: Path) -> None:
    env = {"TIGHTROPE_DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}", "PATH": "/usr/bin:/bin"}
    printed = subprocess.run(
        [sys.executable, "-m", "api", "openapi"], capture_output=True, text=True, env=env,
        cwd=CHECKED_IN.parents[1], check=True, timeout=120,
    )  # fmt: skip

    assert printed.stdout == CHECKED_IN.read_text()


def test_every_write_documents_its_precondition_and_every_route_its_auth() -> None:
    schema = json.loads(CHECKED_IN.read_text())
    decisions = [p for p in schema["paths"] if p.endswith(("/apply", "/reject", "/postpone"))]

    assert sorted(decisions) == [
        "/v1/recommendations/{recommendation_id}/apply",
        "/v1/recommendations/{recommendation_id}/postpone",
        "/v1/recommendations/{recommendation_id}/reject",
    ]
    for path in decisions:
        assert {"412", "428"} <= set(schema["paths"][path]["post"]["responses"])
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            needs_key = path.startswith("/v1/")
            assert ("security" in operation) == needs_key, path
