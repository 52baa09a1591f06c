"""The compose `dev-oidc` provider starts with its image's command and serves discovery."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.deploy.deployment_files import REPO_ROOT, compose, dockerfile_instructions
from tests.support.postgres import free_port
from tests.support.processes import stop, wait_until_ready
from tests.support.tiers import unavailable

DOCKERFILE = REPO_ROOT / "deploy" / "dev-oidc" / "Dockerfile"


class ProviderFailed(RuntimeError):
    """The dev OIDC provider did not serve its discovery document."""


def test_the_dev_oidc_image_pins_the_provider_the_tests_use() -> None:
    installed = _installed_version()
    run = " ".join(
        rest for keyword, rest in dockerfile_instructions(DOCKERFILE) if keyword == "RUN"
    )

    assert f"oidc-provider-mock=={installed}" in run
    assert compose()["services"]["dev-oidc"]["build"] == "./deploy/dev-oidc"


def test_the_dev_oidc_command_serves_a_discovery_document(tmp_path: Path) -> None:
    _installed_version()
    command = _image_command()
    port = free_port()
    # The image listens on 0.0.0.0:9400; here loopback and a free port, the rest as written.
    command[command.index("--host") + 1] = "127.0.0.1"
    command[command.index("--port") + 1] = str(port)
    binary = shutil.which(command[0], path=str(Path(sys.executable).parent))
    assert binary is not None
    log = tmp_path / "oidc.log"
    with log.open("wb") as out:
        process = subprocess.Popen([binary, *command[1:]], stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/.well-known/openid-configuration"
    try:
        wait_until_ready(process, url, ready=lambda r: r.status == 200, name="dev-oidc",
                         timeout_s=60, log_path=log, error=ProviderFailed)  # fmt: skip
        with urllib.request.urlopen(url, timeout=10) as response:
            document = json.load(response)
    finally:
        stop(process)

    assert document["issuer"] == f"http://127.0.0.1:{port}"
    assert "authorization_endpoint" in document


def _image_command() -> list[str]:
    (cmd,) = [rest for keyword, rest in dockerfile_instructions(DOCKERFILE) if keyword == "CMD"]
    return [str(part) for part in json.loads(cmd)]


def _installed_version() -> str:
    try:
        return importlib.metadata.version("oidc-provider-mock")
    except importlib.metadata.PackageNotFoundError:
        unavailable("oidc-provider-mock is not installed (pip install -r requirements-dev.txt)")
        raise
