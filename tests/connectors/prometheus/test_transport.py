"""What the client sends: bearer token from a rotating file, basic auth, tenant headers; secrets
stay out of reprs, messages and logs. A local HTTP server records the requests."""

from __future__ import annotations

import base64
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from data.connectors.prometheus import PrometheusAuthError, PrometheusClient, RetryPolicy
from data.connectors.prometheus.transport import PrometheusConnection
from data.errors import PrometheusTlsError
from data.settings import Settings
from tests.support.tls import authority, write_encrypted_key

AT = datetime(2026, 10, 1, tzinfo=UTC)
TOKEN = "eyJhbGciOi.first-token.sig"
ROTATED = "eyJhbGciOi.second-token.sig"
PASSWORD = "pa55-w0rd-never-shown"
VECTOR = {"status": "success", "data": {"resultType": "vector", "result": []}}
ONCE = RetryPolicy(max_attempts=1, base_delay_s=0.01, max_delay_s=0.01, max_elapsed_s=5)


def recording(httpserver: HTTPServer, status: int = 200) -> list[Request]:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        body = '{"status":"error","errorType":"auth","error":"denied"}' if status != 200 else None
        return Response(body or json.dumps(VECTOR), status=status,
                        content_type="application/json")  # fmt: skip

    httpserver.expect_request("/api/v1/query").respond_with_handler(handler)
    return seen


def client(connection: PrometheusConnection) -> PrometheusClient:
    return PrometheusClient.from_url(connection.url, connection=connection, retry=ONCE)


def test_the_bearer_token_is_read_again_after_the_file_is_rotated(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    seen = recording(httpserver)
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    prometheus = client(PrometheusConnection(httpserver.url_for(""), bearer_token_file=token_file))
    prometheus.query("up", at=AT)

    # As the kubelet does: write the new token elsewhere, then swap it in with a rename.
    staged = tmp_path / "token.new"
    staged.write_text(ROTATED)
    os.replace(staged, token_file)
    prometheus.query("up", at=AT)

    assert [r.headers["Authorization"] for r in seen] == [f"Bearer {TOKEN}", f"Bearer {ROTATED}"]


def test_a_token_rewritten_in_place_is_picked_up_too(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    seen = recording(httpserver)
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    prometheus = client(PrometheusConnection(httpserver.url_for(""), bearer_token_file=token_file))
    prometheus.query("up", at=AT)

    token_file.write_text(ROTATED + "-longer")
    prometheus.query("up", at=AT)

    assert seen[-1].headers["Authorization"] == f"Bearer {ROTATED}-longer"


def test_an_empty_token_file_is_an_auth_error_before_anything_is_sent(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    seen = recording(httpserver)
    token_file = tmp_path / "token"
    token_file.write_text("\n")

    with pytest.raises(PrometheusAuthError, match=r"bearer token file .*token is empty"):
        client(PrometheusConnection(httpserver.url_for(""), bearer_token_file=token_file)).query(
            "up", at=AT
        )

    assert seen == []


def test_basic_auth_and_the_tenant_header_are_sent_from_settings(httpserver: HTTPServer) -> None:
    seen = recording(httpserver)
    settings = Settings(
        prometheus_url=httpserver.url_for(""),
        prometheus_username="grafana-123",
        prometheus_password=PASSWORD,
        prometheus_headers="X-Scope-OrgID=tenant-a",
        _env_file=None,
    )

    PrometheusClient.from_settings(settings).query("up", at=AT)

    sent = base64.b64encode(f"grafana-123:{PASSWORD}".encode()).decode()
    assert seen[0].headers["Authorization"] == f"Basic {sent}"
    assert seen[0].headers["X-Scope-OrgID"] == "tenant-a"


def test_a_rejected_token_names_its_file_and_never_the_token(
    httpserver: HTTPServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    recording(httpserver, status=401)
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    connection = PrometheusConnection(httpserver.url_for(""), bearer_token_file=token_file)

    with pytest.raises(PrometheusAuthError) as refused:
        client(connection).query("up", at=AT)

    assert f"HTTP 401, credentials rejected (bearer token from {token_file})" in str(refused.value)
    assert TOKEN not in str(refused.value)
    assert TOKEN not in caplog.text


def test_credentials_in_the_url_leave_it_and_never_reach_a_message(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen = recording(httpserver, status=403)
    url = httpserver.url_for("").replace("http://", f"http://bob:{PASSWORD}@")

    with pytest.raises(PrometheusAuthError) as refused:
        PrometheusClient.from_url(url, retry=ONCE).query("up", at=AT)

    assert seen[0].headers["Authorization"].startswith("Basic ")
    assert "basic auth as user 'bob'" in str(refused.value)
    assert PASSWORD not in str(refused.value) + caplog.text


def test_no_credentials_says_which_settings_to_set(httpserver: HTTPServer) -> None:
    recording(httpserver, status=401)

    with pytest.raises(PrometheusAuthError, match="TIGHTROPE_PROMETHEUS_BEARER_TOKEN_FILE"):
        client(PrometheusConnection(httpserver.url_for(""))).query("up", at=AT)


def test_reprs_show_the_mode_never_the_secrets(tmp_path: Path) -> None:
    connection = PrometheusConnection(
        "https://prom.example",
        username="bob",
        password=SecretStr(PASSWORD),
        headers=(("X-Scope-OrgID", SecretStr("tenant-secret-id")),),
    )

    shown = repr(connection) + connection.describe() + repr(client(connection))

    assert "basic auth as user 'bob'; header X-Scope-OrgID" in connection.describe()
    assert PASSWORD not in shown
    assert "tenant-secret-id" not in shown


def test_skipping_verification_is_logged_as_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)

    client(PrometheusConnection("https://prom.example", insecure_skip_verify=True))

    assert "TIGHTROPE_PROMETHEUS_INSECURE_SKIP_VERIFY is on" in caplog.text


def test_an_encrypted_client_key_is_refused_at_start_instead_of_prompting(tmp_path: Path) -> None:
    ca = authority(tmp_path)
    pair = ca.issue(tmp_path, "client", server=False)
    key = write_encrypted_key(tmp_path / "locked.key", b"passphrase")

    with pytest.raises(PrometheusTlsError, match=r"locked\.key is encrypted"):
        client(
            PrometheusConnection(
                "https://prom.example", client_cert_file=pair.cert, client_key_file=key
            )
        )


def test_a_key_that_does_not_match_the_certificate_is_refused_at_start(tmp_path: Path) -> None:
    ca = authority(tmp_path)
    one = ca.issue(tmp_path, "one", server=False)
    other = ca.issue(tmp_path, "other", server=False)

    with pytest.raises(PrometheusTlsError, match=r"client certificate .*one.crt / key .*other"):
        client(
            PrometheusConnection(
                "https://prom.example", client_cert_file=one.cert, client_key_file=other.key
            )
        )
