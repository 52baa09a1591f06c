"""A real Debian `prometheus` on a free loopback port, its TSDB backfilled with `promtool`."""

from __future__ import annotations

import base64
import shutil
import ssl
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tests.support.postgres import free_port
from tests.support.processes import stop, wait_until_ready
from tests.support.prometheus_history import Service
from tests.support.tiers import find_binary, unavailable

PROMETHEUS_CANDIDATES = ("/usr/bin/prometheus",)
PROMTOOL_CANDIDATES = ("/usr/bin/promtool",)
_CONFIG = "global:\n  scrape_interval: 1h\nscrape_configs: []\n"


@dataclass(frozen=True)
class History:
    """A running Prometheus and the generated services whose history it holds."""

    url: str
    services: list[Service]
    end: datetime
    days: int


@dataclass(frozen=True)
class WebConfig:
    """Prometheus's --web.config.file: TLS, optionally a required client certificate, and
    basic auth users (name → bcrypt hash; Prometheus checks only bcrypt)."""

    cert: Path
    key: Path
    client_ca: Path | None = None  # set: RequireAndVerifyClientCert
    users: Mapping[str, str] = field(default_factory=dict)

    def yaml(self) -> str:
        lines = ["tls_server_config:", f"  cert_file: {self.cert}", f"  key_file: {self.key}"]
        if self.client_ca is not None:
            lines += ["  client_auth_type: RequireAndVerifyClientCert",
                      f"  client_ca_file: {self.client_ca}"]  # fmt: skip
        if self.users:
            lines.append("basic_auth_users:")
            lines += [f"  {name}: '{digest}'" for name, digest in self.users.items()]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ReadyProbe:
    """What the readiness poll needs to get through the web config (CA, client cert, user)."""

    context: ssl.SSLContext | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def basic_header(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class PrometheusError(RuntimeError):
    """promtool failed, or the server exited or never became ready."""


def binaries() -> tuple[Path, Path]:
    """(prometheus, promtool); skips (fails under CI=true) when the Debian package is missing."""
    prometheus = find_binary("prometheus", *PROMETHEUS_CANDIDATES)
    promtool = find_binary("promtool", *PROMTOOL_CANDIDATES)
    if prometheus is None or promtool is None:
        unavailable("Debian prometheus/promtool not installed (apt-get install prometheus)")
    assert prometheus is not None
    assert promtool is not None
    return prometheus, promtool


def backfill(promtool: Path, files: Sequence[Path], tsdb_dir: Path, *, workers: int = 2) -> None:
    """Turn OpenMetrics files (one per day: promtool re-reads a file per block) into blocks."""
    tsdb_dir.mkdir(parents=True, exist_ok=True)

    def convert(path: Path) -> None:
        # Each file gets its own output dir, then blocks move into the TSDB (no shared writes).
        out = Path(tempfile.mkdtemp(prefix="blocks-", dir=tsdb_dir.parent))
        done = subprocess.run(
            [str(promtool), "tsdb", "create-blocks-from", "openmetrics",
             "--max-block-duration=24h", str(path), str(out)],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise PrometheusError(f"promtool failed on {path.name}: {done.stderr[-2000:]}")
        for block in out.iterdir():
            block.rename(tsdb_dir / block.name)
        shutil.rmtree(out, ignore_errors=True)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(convert, files))


@contextmanager
def prometheus_server(
    prometheus: Path,
    tsdb_dir: Path,
    *,
    timeout_s: float = 60.0,
    web: WebConfig | None = None,
    probe: ReadyProbe | None = None,
    max_samples: int | None = None,
    query_timeout_s: float | None = None,
) -> Iterator[str]:
    """Serve `tsdb_dir` read-mostly on 127.0.0.1:<free port>; yields the base URL (https://
    with `web`, whose readiness `probe` says how to pass).

    `max_samples` (`--query.max-samples`, default 50,000,000) makes bigger queries fail with
    HTTP 422 "query processing would load too many samples"; `query_timeout_s`
    (`--query.timeout`, default 2 min) makes slower ones fail with 503."""
    config = tsdb_dir.parent / "prometheus.yml"
    config.write_text(_CONFIG)
    port = free_port()
    name = "prometheus" if web is None else f"prometheus-{port}"
    log_path = tsdb_dir.parent / f"{name}.log"
    command = [
        str(prometheus),
        f"--config.file={config}",
        f"--storage.tsdb.path={tsdb_dir}",
        "--storage.tsdb.retention.time=3650d",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
        *([f"--query.max-samples={max_samples}"] if max_samples is not None else []),
        *([f"--query.timeout={query_timeout_s:g}s"] if query_timeout_s is not None else []),
    ]
    if web is not None:
        web_file = tsdb_dir.parent / f"{name}-web.yml"
        web_file.write_text(web.yaml())
        command.append(f"--web.config.file={web_file}")
    probe = probe or ReadyProbe()
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"{'http' if web is None else 'https'}://127.0.0.1:{port}"
            wait_until_ready(
                process, f"{url}/-/ready", ready=lambda response: response.status == 200,
                name="prometheus", timeout_s=timeout_s, log_path=log_path, error=PrometheusError,
                context=probe.context, headers=probe.headers,
            )  # fmt: skip
            yield url
        finally:
            stop(process)
