"""The image's own start commands, as a non-root user on a read-only copy of the app, against an
empty PostgreSQL: the migrate step migrates once, nothing is seeded, the dashboard, the API and
the sidecar serve health.

The commands and environment are read from the Dockerfile and docker-compose.yml, so this test
breaks when they drift; no Docker daemon is needed (the image is reproduced as a directory)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from data.models import ServiceRow
from tests.deploy.deployment_files import (
    REPO_ROOT,
    compose,
    compose_command,
    image_command,
    image_environment,
    image_value,
)
from tests.support.postgres import free_port
from tests.support.processes import stop, wait_until_ready
from tests.support.tiers import unavailable

pytestmark = pytest.mark.postgres
START_TIMEOUT_S = 120
# The suite runs as root in CI: the image's processes run as nobody (as the caller otherwise).
_AS_ROOT = os.geteuid() == 0
_USER, _GROUP = ("nobody", "nogroup") if _AS_ROOT else (None, None)
_EXTRA_GROUPS: list[str] | None = [] if _AS_ROOT else None


class StartFailed(RuntimeError):
    """A process of the image did not become healthy."""


@pytest.fixture
def empty_database(postgres_server_url: str) -> Iterator[str]:
    """A new database on the test server with no schema at all."""
    name = f"tightrope_img_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(f"{postgres_server_url}/postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{postgres_server_url}/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def image_root() -> Iterator[Path]:
    """/ of the image as far as the app sees it: a read-only copy of the app (what
    .dockerignore lets into `COPY . .`), an empty data volume and a tmp dir the user owns."""
    root = Path(tempfile.mkdtemp(prefix="tightrope-image-", dir="/tmp"))
    app, data, tmp = root / "app", root / "data", root / "tmp"
    shutil.copytree(REPO_ROOT, app, ignore=_dockerignore(), symlinks=False)
    _read_only(app)
    for writable in (data, tmp):
        writable.mkdir()
        _give_to_user(writable)
    root.chmod(0o755)
    yield root
    for path in (app, *app.rglob("*")):
        if path.is_dir():
            path.chmod(0o755)
    shutil.rmtree(root, ignore_errors=True)


def test_image_start_migrates_once_seeds_nothing_and_serves_health(
    empty_database: str, image_root: Path
) -> None:
    env = _image_env(image_root, empty_database)
    migrate = _run(compose_command("migrate"), image_root, env)
    assert migrate.returncode == 0, migrate.stdout
    assert "Running upgrade" in migrate.stdout

    logs = {name: image_root / "tmp" / f"{name}.log" for name in ("dashboard", "api", "sidecar")}
    dashboard = _start(image_command(), image_root, env, logs["dashboard"])
    api = _start(compose_command("api"), image_root, env, logs["api"])
    sidecar = _start(compose_command("sidecar"), image_root, env, logs["sidecar"])
    try:
        _wait(dashboard, f"http://127.0.0.1:{env['STREAMLIT_SERVER_PORT']}/_stcore/health",
              "dashboard", logs["dashboard"])  # fmt: skip
        _wait(api, f"http://127.0.0.1:{env['TIGHTROPE_API_PORT']}/readyz", "api", logs["api"])
        _wait(sidecar, f"http://127.0.0.1:{env['TIGHTROPE_METRICS_PORT']}/readyz", "sidecar",
              logs["sidecar"])  # fmt: skip
    finally:
        stop(dashboard)
        stop(api)
        stop(sidecar)

    assert _service_count(empty_database) == 0
    for log in logs.values():
        assert "Running upgrade" not in log.read_text(), log.name
    assert list((image_root / "data").iterdir()) == []  # PostgreSQL: nothing kept on the volume
    assert not list((image_root / "app").rglob("__pycache__"))


def test_the_image_user_cannot_write_the_app_copy(image_root: Path) -> None:
    probe = [str(_interpreter()), "-c", "open('app/probe', 'w')"]

    result = subprocess.run(
        probe,
        cwd=image_root,
        capture_output=True,
        text=True,
        user=_USER,
        group=_GROUP,
        extra_groups=_EXTRA_GROUPS,
    )

    assert result.returncode != 0
    assert "PermissionError" in result.stderr


def _image_env(root: Path, database_url: str) -> dict[str, str]:
    """The image's ENV with its paths under `root`, the compose sidecar's metrics address, free
    ports, and the database URL from a mounted secret file (as compose and Kubernetes pass it)."""
    secret = root / "tmp" / "database_url"
    secret.write_text(database_url + "\n")
    _give_to_user(secret)
    env = {
        key: value.replace("/data", str(root / "data"))
        for key, value in image_environment().items()
    }
    env.update(
        PATH="/usr/bin:/bin",
        PYTHONPATH=sysconfig.get_paths()["purelib"],
        HOME=str(root / "tmp"),
        STREAMLIT_SERVER_PORT=str(free_port()),
        TIGHTROPE_METRICS_PORT=str(free_port()),
        TIGHTROPE_API_PORT=str(free_port()),
        TIGHTROPE_METRICS_ADDRESS=compose()["services"]["sidecar"]["environment"][
            "TIGHTROPE_METRICS_ADDRESS"
        ],
        TIGHTROPE_DATABASE_URL_FILE=str(secret),
        # No identity provider here: the explicit opt-out the dashboard requires on 0.0.0.0.
        TIGHTROPE_AUTH="none",
    )
    return env


def _command(argv: list[str]) -> list[str]:
    assert argv[0] == "python", argv
    return [str(_interpreter()), *argv[1:]]


def _interpreter() -> Path:
    """A Python the image user may execute: this one, unless it lives where that user cannot
    reach (pyenv under a 0700 /root); then the system python3 of the same minor version, given
    this venv's packages through PYTHONPATH (see _image_env)."""
    if os.geteuid() != 0 or not Path(sys.executable).resolve().is_relative_to("/root"):
        return Path(sys.executable)
    system = Path("/usr/bin/python3")
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    found = ""
    if system.exists():
        probe = [
            str(system),
            "-c",
            "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')",
        ]
        found = subprocess.run(probe, capture_output=True, text=True, check=False).stdout.strip()
    if found != version:
        unavailable(f"no Python {version} the user nobody may run (apt-get install python3)")
    return system


def _run(argv: list[str], root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(argv), cwd=_workdir(root), env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=START_TIMEOUT_S, user=_USER, group=_GROUP,
        extra_groups=_EXTRA_GROUPS,
    )  # fmt: skip


def _start(argv: list[str], root: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            _command(argv), cwd=_workdir(root), env=env, stdout=out, stderr=subprocess.STDOUT,
            user=_USER, group=_GROUP, extra_groups=_EXTRA_GROUPS,
        )  # fmt: skip


def _wait(process: subprocess.Popen[bytes], url: str, name: str, log: Path) -> None:
    wait_until_ready(process, url, ready=lambda r: r.status == 200, name=name,
                     timeout_s=START_TIMEOUT_S, log_path=log, error=StartFailed)  # fmt: skip


def _workdir(root: Path) -> Path:
    assert image_value("WORKDIR") == "/app"
    return root / "app"


def _service_count(database_url: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(ServiceRow))
    engine.dispose()
    return int(count or 0)


def _give_to_user(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, user="nobody", group="nogroup")


def _read_only(tree: Path) -> None:
    for path in sorted(tree.rglob("*"), reverse=True):
        path.chmod(0o555 if path.is_dir() else 0o444)
    tree.chmod(0o555)


def _dockerignore() -> Callable[[str, list[str]], set[str]]:
    """shutil.copytree's ignore callable for the .dockerignore patterns this repo uses (names
    at the top level, and **/NAME anywhere)."""
    patterns = [
        line.strip()
        for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    top = {p for p in patterns if "/" not in p}
    anywhere = {p.removeprefix("**/") for p in patterns if p.startswith("**/")}

    def ignore(directory: str, names: list[str]) -> set[str]:
        at_top = Path(directory) == REPO_ROOT
        return {n for n in names if n in anywhere or (at_top and n in top)}

    return ignore
