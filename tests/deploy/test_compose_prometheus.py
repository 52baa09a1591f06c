"""The compose Prometheus config scrapes a real sidecar bound as the containers bind it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from data.settings import Settings
from tests.deploy.deployment_files import REPO_ROOT, compose
from tests.support.postgres import free_port
from tests.support.processes import stop, wait_until_ready
from tests.support.prometheus import PrometheusError, binaries

pytestmark = [
    pytest.mark.prometheus,
    pytest.mark.skipif(
        "FAKETIME" in os.environ,
        reason="under libfaketime the sidecar's scheduler thread never wakes (see "
        "tests/jobs/test_sidecar_process.py)",
    ),
]
TIMEOUT_S = 90


class SidecarFailed(RuntimeError):
    """The sidecar did not become ready."""


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_prometheus_with_the_compose_config_scrapes_the_sidecar(
    settings: Settings, tmp_path: Path
) -> None:
    prometheus, _ = binaries()
    sidecar_env = compose()["services"]["sidecar"]["environment"]
    port = free_port()
    env = {
        **os.environ,
        "TIGHTROPE_DATABASE_URL": settings.database_url,
        "TIGHTROPE_METRICS_ADDRESS": sidecar_env["TIGHTROPE_METRICS_ADDRESS"],
        "TIGHTROPE_METRICS_PORT": str(port),
    }
    log = tmp_path / "sidecar.log"
    with log.open("wb") as out:
        sidecar = subprocess.Popen(
            [sys.executable, "-m", "jobs", "run", "--workers", "1"], cwd=REPO_ROOT, env=env,
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait(sidecar, f"http://127.0.0.1:{port}/readyz", "sidecar", log, SidecarFailed)
        config = _compose_config_pointing_at(f"127.0.0.1:{port}", tmp_path)
        up = _scraped_up(prometheus, config, tmp_path)
    finally:
        stop(sidecar)

    assert up == "1"


def _compose_config_pointing_at(target: str, tmp_path: Path) -> Path:
    """deploy/prometheus/prometheus.yml with the compose host name swapped for `target` and a
    1 s interval (so the first scrape comes within seconds); nothing else changed."""
    config = yaml.safe_load((REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    port = compose()["services"]["sidecar"]["environment"]["TIGHTROPE_METRICS_PORT"]
    (job,) = config["scrape_configs"]
    assert job["static_configs"] == [{"targets": [f"sidecar:{port}"]}]
    job["static_configs"] = [{"targets": [target]}]
    config["global"]["scrape_interval"] = "1s"
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def _scraped_up(prometheus: Path, config: Path, tmp_path: Path) -> str | None:
    """Run Prometheus on `config` until `up{job="tightrope-sidecar"}` has a sample."""
    port = free_port()
    log = tmp_path / "prometheus.log"
    command = [
        str(prometheus),
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(process, f"{url}/-/ready", "prometheus", log, PrometheusError)
        return _first_up(url)
    finally:
        stop(process)


def _wait(
    process: subprocess.Popen[bytes], url: str, name: str, log: Path, error: type[RuntimeError]
) -> None:
    wait_until_ready(process, url, ready=lambda r: r.status == 200, name=name,
                     timeout_s=TIMEOUT_S, log_path=log, error=error)  # fmt: skip


def _first_up(url: str) -> str | None:
    query = urllib.parse.urlencode({"query": 'up{job="tightrope-sidecar"}'})
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=10) as response:
            result = json.load(response)["data"]["result"]
        if result:
            return str(result[0]["value"][1])
        time.sleep(0.5)
    return None
