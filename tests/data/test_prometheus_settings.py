"""TIGHTROPE_PROMETHEUS_* settings: contradictions and missing files are refused at start with
messages that name the variables, never a secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from data.connectors.prometheus.transport import PrometheusConnection
from data.settings import Settings

URL = "https://prom.example:9090"
PASSWORD = "hunter2-never-shown"


def build(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def refused(**values: Any) -> str:
    with pytest.raises(ValidationError) as error:
        build(**values)
    text = str(error.value)
    assert PASSWORD not in text
    return text


def test_bearer_and_basic_together_are_refused(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("t")

    text = refused(prometheus_url=URL, prometheus_bearer_token_file=token,
                   prometheus_username="u", prometheus_password=PASSWORD)  # fmt: skip

    assert "TIGHTROPE_PROMETHEUS_BEARER_TOKEN_FILE or TIGHTROPE_PROMETHEUS_USERNAME" in text


def test_a_user_without_a_password_is_refused() -> None:
    assert "needs both" in refused(prometheus_url=URL, prometheus_username="u")


def test_a_key_without_its_certificate_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "client.key"
    key.write_text("k")

    text = refused(prometheus_url=URL, prometheus_client_key_file=key)

    assert "CLIENT_KEY_FILE needs TIGHTROPE_PROMETHEUS_CLIENT_CERT_FILE" in text


def test_a_missing_ca_file_is_named() -> None:
    text = refused(prometheus_url=URL, prometheus_ca_file="/nowhere/ca.pem")

    assert "TIGHTROPE_PROMETHEUS_CA_FILE names /nowhere/ca.pem, which is not a file" in text


def test_skipping_verification_and_a_ca_bundle_contradict(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("c")

    text = refused(prometheus_url=URL, prometheus_ca_file=ca, prometheus_insecure_skip_verify=True)

    assert "INSECURE_SKIP_VERIFY ignores TIGHTROPE_PROMETHEUS_CA_FILE" in text


def test_tls_options_on_plain_http_are_refused() -> None:
    text = refused(prometheus_url="http://127.0.0.1:9090", prometheus_insecure_skip_verify=True)

    assert "applies to https:// only" in text


def test_a_password_is_not_sent_in_clear_text_off_this_machine() -> None:
    text = refused(prometheus_url="http://prom.internal:9090", prometheus_username="u",
                   prometheus_password=PASSWORD)  # fmt: skip

    assert "only sent over https" in text
    assert build(prometheus_url="http://127.0.0.1:9090", prometheus_username="u",
                 prometheus_password=PASSWORD).prometheus_username == "u"  # fmt: skip


def test_options_without_a_url_are_refused() -> None:
    assert "TIGHTROPE_PROMETHEUS_USERNAME needs TIGHTROPE_PROMETHEUS_URL" in refused(
        prometheus_username="u", prometheus_password=PASSWORD
    )


@pytest.mark.parametrize(
    "raw",
    ["X-Scope-OrgID=tenant-a, X-Extra = 1", '{"X-Scope-OrgID": "tenant-a", "X-Extra": "1"}'],
)
def test_headers_are_read_as_pairs_or_json(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIGHTROPE_PROMETHEUS_URL", URL)
    monkeypatch.setenv("TIGHTROPE_PROMETHEUS_HEADERS", raw)

    headers = Settings(_env_file=None).prometheus_headers

    assert {k: v.get_secret_value() for k, v in headers.items()} == {
        "X-Scope-OrgID": "tenant-a",
        "X-Extra": "1",
    }


def test_a_malformed_header_name_is_refused() -> None:
    assert "is not a header name" in refused(prometheus_url=URL, prometheus_headers="Bad Name=x")


def test_the_password_comes_from_its_file_and_stays_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    monkeypatch.setenv("TIGHTROPE_PROMETHEUS_URL", URL)
    monkeypatch.setenv("TIGHTROPE_PROMETHEUS_USERNAME", "u")
    monkeypatch.setenv("TIGHTROPE_PROMETHEUS_PASSWORD_FILE", str(secret))
    monkeypatch.setenv("TIGHTROPE_PROMETHEUS_HEADERS", "X-Scope-OrgID=tenant-a")

    settings = Settings(_env_file=None)

    assert settings.prometheus_password is not None
    assert settings.prometheus_password.get_secret_value() == PASSWORD
    connection = PrometheusConnection.from_settings(settings)
    assert PASSWORD not in repr(settings) + repr(connection)
    assert "tenant-a" not in repr(settings) + repr(connection)
