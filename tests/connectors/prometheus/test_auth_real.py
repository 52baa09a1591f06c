"""A real Prometheus behind --web.config.file (TLS, basic auth, client certificates): collection
works with the right credentials and fails clearly, storing nothing, with the wrong ones."""

from __future__ import annotations

import logging
import os
import shutil
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.prometheus import (
    CircuitBreaker,
    PrometheusAuthError,
    PrometheusClient,
    RetryPolicy,
    collect_usage,
)
from data.connectors.prometheus.transport import PrometheusConnection
from data.db import make_engine, make_sessions
from data.errors import PrometheusTlsError
from data.models import UsageHourlyRow
from data.repos.usage import load_usage
from data.settings import Settings
from tests.support.prometheus import (
    History,
    ReadyProbe,
    WebConfig,
    backfill,
    basic_header,
    binaries,
    prometheus_server,
)
from tests.support.prometheus_catalogue import catalogue
from tests.support.prometheus_history import demo_services, expected, write_openmetrics
from tests.support.tls import Authority, Pair, authority

pytestmark = pytest.mark.prometheus_tls
DAYS = 2
END = datetime(2026, 10, 1, tzinfo=UTC)
USER = "tightrope"
PASSWORD = "correct-horse-battery"
# bcrypt (cost 4) of PASSWORD, made once with Python 3.11's crypt (libxcrypt): a constant, so
# the test needs neither the bcrypt package nor apache2-utils.
PASSWORD_BCRYPT = "$2b$04$.kpHHl/wwYkGVZd7n1G2Dulnv8EiPoPBMDHqiHu8poXxf/TvjOL7y"
SETTLE = timedelta(minutes=15)
REPO_ROOT = Path(__file__).resolve().parents[3]
NO_RETRY = RetryPolicy(max_attempts=1, base_delay_s=0.01, max_delay_s=0.01, max_elapsed_s=5)


@dataclass(frozen=True)
class Secured:
    """Two Prometheus servers over one history: TLS + basic auth, and TLS + client certs."""

    basic: History
    mutual: History
    ca: Authority
    client: Pair
    stranger: Authority  # a CA that signed nothing the servers use


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    prometheus, promtool = binaries()
    base = tmp_path_factory.mktemp("prometheus-secured")
    services = demo_services(DAYS * 24)
    end = END
    files = write_openmetrics(services, start=end - timedelta(days=DAYS), out_dir=base / "om")
    backfill(promtool, files, base / "a" / "tsdb")
    shutil.copytree(base / "a" / "tsdb", base / "b" / "tsdb")
    ca = authority(base / "pki")
    server = ca.issue(base / "pki", "prometheus", server=True)
    client = ca.issue(base / "pki", "tightrope-client", server=False)
    context = ssl.create_default_context(cafile=str(ca.cert))
    context.load_cert_chain(client.cert, client.key)
    basic = WebConfig(server.cert, server.key, users={USER: PASSWORD_BCRYPT})
    mutual = WebConfig(server.cert, server.key, client_ca=ca.cert)
    with (
        prometheus_server(prometheus, base / "a" / "tsdb", web=basic,
                          probe=ReadyProbe(context, basic_header(USER, PASSWORD))) as basic_url,
        prometheus_server(prometheus, base / "b" / "tsdb", web=mutual,
                          probe=ReadyProbe(context)) as mutual_url,
    ):  # fmt: skip
        yield Secured(
            History(basic_url, services, end, DAYS),
            History(mutual_url, services, end, DAYS),
            ca,
            client,
            authority(base / "stranger", "stranger-ca"),
        )


@pytest.fixture
def database(sqlite_template: Path, tmp_path: Path) -> Path:
    """SQLite only: these tests are about the connection, not the dialect."""
    path = tmp_path / "tightrope.db"
    shutil.copyfile(sqlite_template, path)
    return path


@pytest.fixture
def sessions(database: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(Settings(database_url=f"sqlite:///{database}", _env_file=None))
    yield make_sessions(engine)
    engine.dispose()


def client(connection: PrometheusConnection) -> PrometheusClient:
    return PrometheusClient.from_url(
        connection.url, connection=connection, timeout_s=20.0, retry=NO_RETRY,
        breaker=CircuitBreaker(fail_max=50, reset_timeout_s=60),
    )  # fmt: skip


def rows(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(UsageHourlyRow)) or 0


def test_collection_through_tls_and_basic_auth_stores_the_generated_hours(
    sessions: sessionmaker[Session], secured: Secured
) -> None:
    history = secured.basic
    ids = catalogue(sessions, history)
    settings = Settings(
        prometheus_url=history.url,
        prometheus_username=USER,
        prometheus_password=PASSWORD,
        prometheus_ca_file=secured.ca.cert,
        _env_file=None,
    )

    report = collect_usage(
        sessions, PrometheusClient.from_settings(settings), now=history.end + SETTLE
    )

    assert (report.error, report.issues) == (None, ())
    hours = DAYS * 24
    assert report.rows_written == hours * len(ids)
    with sessions() as session:
        window = load_usage(session, ids[0], start=history.end - timedelta(hours=hours),
                            end=history.end)  # fmt: skip
    want = expected(history.services[0])
    np.testing.assert_allclose(window.cpu_used_mean_cores, want.cpu_used_mean_cores, rtol=1e-6)
    np.testing.assert_allclose(window.memory_used_max_gib, want.memory_used_max_gib, rtol=1e-9)


def test_a_wrong_password_is_an_auth_error_naming_the_user_and_nothing_is_stored(
    sessions: sessionmaker[Session], secured: Secured, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    history = secured.basic
    catalogue(sessions, history)
    wrong = "not-the-password-7f3a"
    connection = PrometheusConnection(
        history.url, username=USER, password=SecretStr(wrong), ca_file=secured.ca.cert
    )

    report = collect_usage(sessions, client(connection), now=history.end + SETTLE)

    assert rows(sessions) == 0
    assert report.error is not None
    assert "HTTP 401, credentials rejected (basic auth as user 'tightrope')" in report.error
    assert wrong not in report.error
    assert wrong not in caplog.text


def test_a_server_certificate_from_another_ca_is_a_tls_error(secured: Secured) -> None:
    history = secured.basic
    connection = PrometheusConnection(
        history.url, username=USER, password=SecretStr(PASSWORD), ca_file=secured.stranger.cert
    )

    with pytest.raises(PrometheusTlsError) as refused:
        client(connection).query("up", at=history.end)

    message = str(refused.value)
    assert "TLS handshake failed (certificate verify failed" in message
    assert f"trusted CA bundle {secured.stranger.cert}" in message
    assert PASSWORD not in message


def test_a_required_client_certificate_opens_the_server(secured: Secured) -> None:
    history = secured.mutual
    connection = PrometheusConnection(
        history.url,
        ca_file=secured.ca.cert,
        client_cert_file=secured.client.cert,
        client_key_file=secured.client.key,
    )

    result = client(connection).query(
        'count(container_memory_working_set_bytes{namespace="web"})', at=history.end
    )

    assert [s.values[-1] for s in result.series] == [3.0]  # web/api runs three pods


def test_without_the_required_client_certificate_the_handshake_fails(secured: Secured) -> None:
    history = secured.mutual
    connection = PrometheusConnection(history.url, ca_file=secured.ca.cert)

    with pytest.raises(PrometheusAuthError) as refused:
        client(connection).query("up", at=history.end)

    assert isinstance(refused.value, PrometheusTlsError)
    assert "presented no client certificate" in str(refused.value)


def sidecar_once(
    secured: Secured, database: Path, password_file: Path
) -> subprocess.CompletedProcess[str]:
    """`python -m jobs once collect_usage` as an operator configures it: all from the env."""
    env = {
        **os.environ,
        "TIGHTROPE_DATABASE_URL": f"sqlite:///{database}",
        "TIGHTROPE_CLOCK_FIXED_AT": (secured.basic.end + SETTLE).isoformat(),
        "TIGHTROPE_PROMETHEUS_URL": secured.basic.url,
        "TIGHTROPE_PROMETHEUS_USERNAME": USER,
        "TIGHTROPE_PROMETHEUS_PASSWORD_FILE": str(password_file),
        "TIGHTROPE_PROMETHEUS_CA_FILE": str(secured.ca.cert),
        "TIGHTROPE_PROMETHEUS_HEADERS": "X-Scope-OrgID=tenant-a",
        "TIGHTROPE_LOG_LEVEL": "DEBUG",
    }
    return subprocess.run(
        [sys.executable, "-m", "jobs", "once", "collect_usage", "--workers", "1"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_the_sidecar_collects_through_tls_and_basic_auth_configured_by_environment(
    sessions: sessionmaker[Session], database: Path, secured: Secured, tmp_path: Path
) -> None:
    ids = catalogue(sessions, secured.basic)
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")

    done = sidecar_once(secured, database, password_file)

    assert done.returncode == 0, done.stderr[-2000:]
    assert rows(sessions) == DAYS * 24 * len(ids)
    assert PASSWORD not in done.stdout + done.stderr


def test_the_sidecar_fails_a_wrong_password_without_printing_it(
    sessions: sessionmaker[Session], database: Path, secured: Secured, tmp_path: Path
) -> None:
    catalogue(sessions, secured.basic)
    password_file = tmp_path / "password"
    password_file.write_text("wrong-password-4d2c")

    done = sidecar_once(secured, database, password_file)

    assert done.returncode == 1
    assert "credentials rejected (basic auth as user 'tightrope')" in done.stdout + done.stderr
    assert "wrong-password-4d2c" not in done.stdout + done.stderr
    assert rows(sessions) == 0
