"""TLS to PostgreSQL as docs/deploy.md tells it: `sslmode=verify-full&sslrootcert=CA` in the URL.

The test makes a CA and a server certificate (openssl CLI), starts its own PostgreSQL with them
and connects through the app's own engine: the right CA connects (encrypted), a wrong CA and a
host name the certificate does not name are refused, each with a message saying why."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from data.db import make_engine
from data.settings import Settings
from tests.support.postgres import free_port, postgres_bin_dir
from tests.support.tiers import find_binary, unavailable

pytestmark = pytest.mark.postgres
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class TlsServer:
    port: int
    ca: Path  # the CA that signed the server's certificate
    wrong_ca: Path  # a CA that did not


@pytest.fixture(scope="module")
def tls_server() -> Iterator[TlsServer]:
    openssl = find_binary("openssl", "/usr/bin/openssl")
    bin_dir = postgres_bin_dir()
    if openssl is None or bin_dir is None or shutil.which("runuser") is None:
        unavailable("openssl and the PostgreSQL binaries are needed for the TLS test")
    assert openssl is not None
    assert bin_dir is not None
    base = Path(tempfile.mkdtemp(prefix="tightrope-pg-tls-", dir="/tmp"))
    base.chmod(0o755)
    try:
        certs = _certificates(openssl, base / "certs")
        with _tls_cluster(bin_dir, base, certs) as port:
            yield TlsServer(port, certs / "ca.crt", certs / "wrong-ca.crt")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_verify_full_with_the_right_ca_connects_encrypted(tls_server: TlsServer) -> None:
    url = _url("localhost", tls_server.port, tls_server.ca)

    assert _encrypted(url) is True


def test_verify_full_with_a_wrong_ca_is_refused_naming_the_certificate(
    tls_server: TlsServer,
) -> None:
    url = _url("localhost", tls_server.port, tls_server.wrong_ca)

    with pytest.raises(OperationalError, match="certificate verify failed"):
        _encrypted(url)


def test_verify_full_refuses_a_host_name_the_certificate_does_not_name(
    tls_server: TlsServer,
) -> None:
    url = _url("127.0.0.1", tls_server.port, tls_server.ca)  # the certificate names localhost

    with pytest.raises(OperationalError, match="does not match host name"):
        _encrypted(url)


def test_the_migrate_step_reports_a_wrong_ca_in_one_line(tls_server: TlsServer) -> None:
    env = {
        **os.environ,
        "TIGHTROPE_DATABASE_URL": _url("localhost", tls_server.port, tls_server.wrong_ca),
    }

    result = subprocess.run(
        [sys.executable, "-m", "data", "migrate"], cwd=REPO_ROOT, env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip

    assert result.returncode == 2
    assert "database error" in result.stderr
    assert "certificate verify failed" in result.stderr


def _url(host: str, port: int, ca: Path) -> str:
    return (
        f"postgresql+psycopg2://postgres@{host}:{port}/postgres"
        f"?sslmode=verify-full&sslrootcert={ca}"
    )


def _encrypted(url: str) -> bool:
    engine = make_engine(Settings(database_url=url, _env_file=None))
    try:
        with engine.connect() as connection:
            query = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
            return bool(connection.execute(text(query)).scalar())
    finally:
        engine.dispose()


def _certificates(openssl: Path, out: Path) -> Path:
    """ca.crt signs server.crt (subjectAltName DNS:localhost only); wrong-ca.crt signs nothing."""
    out.mkdir()
    run = _in(out, openssl)
    ec_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for ca in ("ca", "wrong-ca"):
        run("req", "-x509", *ec_key, "-keyout", f"{ca}.key", "-out", f"{ca}.crt", "-days", "2",
            "-subj", f"/CN=Tightrope {ca}", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    run("req", *ec_key, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (out / "server.ext").write_text(
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.crt", "-days", "2", "-extfile", "server.ext")  # fmt: skip
    return out


def _in(directory: Path, openssl: Path) -> Callable[..., None]:
    def run(*args: str) -> None:
        subprocess.run([str(openssl), *args], cwd=directory, check=True, capture_output=True)

    return run


def _as_postgres(*args: str) -> None:
    # initdb and postgres refuse to run as root: drop to the postgres user, as tests/support does.
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)


@contextmanager
def _tls_cluster(bin_dir: Path, base: Path, certs: Path) -> Iterator[int]:
    """A throwaway cluster (like tests/support/postgres.py) serving TLS with server.crt."""
    port = free_port()
    cluster = base / "cluster"
    cluster.mkdir()
    for name in ("server.crt", "server.key"):
        shutil.copyfile(certs / name, cluster / name)
    (cluster / "server.key").chmod(0o600)  # PostgreSQL refuses a key others may read
    if os.geteuid() == 0:
        for path in (cluster, cluster / "server.crt", cluster / "server.key"):
            shutil.chown(path, user="postgres", group="postgres")
    _as_postgres(str(bin_dir / "initdb"), "-D", f"{cluster}/data", "-U", "postgres", "-A",
                 "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")  # fmt: skip
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {cluster} -c fsync=off -c ssl=on "
        f"-c ssl_cert_file={cluster}/server.crt -c ssl_key_file={cluster}/server.key"
    )
    pg_ctl = str(bin_dir / "pg_ctl")
    _as_postgres(pg_ctl, "-D", f"{cluster}/data", "-l", f"{cluster}/server.log", "-w", "-t", "60",
                 "-o", options, "start")  # fmt: skip
    try:
        yield port
    finally:
        _as_postgres(pg_ctl, "-D", f"{cluster}/data", "-m", "immediate", "-w", "stop")
