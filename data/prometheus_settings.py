"""TIGHTROPE_PROMETHEUS_*: where Prometheus is and how to reach it, checked as a whole."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Self
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode

# RFC 9110 token characters: anything else is not a header name.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
_FILES = (
    "prometheus_bearer_token_file",
    "prometheus_ca_file",
    "prometheus_client_cert_file",
    "prometheus_client_key_file",
)
_NO_CREDENTIALS = (
    "none configured: set TIGHTROPE_PROMETHEUS_BEARER_TOKEN_FILE or "
    "TIGHTROPE_PROMETHEUS_USERNAME/_PASSWORD"
)
_TLS = ("prometheus_ca_file", "prometheus_client_cert_file", "prometheus_insecure_skip_verify")


class PrometheusSettings(BaseSettings):
    """The Prometheus part of `Settings` (its base class, never built on its own).

    Every message names variables and paths, never a value: a password must not reach a log.
    """

    prometheus_url: str | None = Field(
        default=None,
        description="Base URL of the Prometheus HTTP API: Prometheus, Thanos Query, Mimir's "
        "/prometheus, VictoriaMetrics (docs/prometheus.md). Unset: the demo fleet's feed.",
    )
    prometheus_bearer_token_file: Path | None = Field(
        default=None,
        description="File holding a bearer token, read again whenever it changes (a rotated "
        "Kubernetes service-account token works without a restart).",
    )
    prometheus_username: str | None = Field(
        default=None, min_length=1, description="Basic auth user (Grafana Cloud: the instance ID)."
    )
    prometheus_password: SecretStr | None = Field(
        default=None,
        description="Basic auth password or access token; TIGHTROPE_PROMETHEUS_PASSWORD_FILE "
        "reads it from a mounted secret (at start).",
    )
    prometheus_ca_file: Path | None = Field(
        default=None,
        description="PEM bundle of the CAs that sign the server's certificate (unset: the "
        "system's CAs).",
    )
    prometheus_client_cert_file: Path | None = Field(
        default=None,
        description="PEM client certificate for mutual TLS (may also hold the key).",
    )
    prometheus_client_key_file: Path | None = Field(
        default=None, description="Unencrypted PEM key of the client certificate."
    )
    prometheus_insecure_skip_verify: bool = Field(
        default=False,
        description="Do not verify the server's certificate (logged as a warning; never in "
        "production).",
    )
    prometheus_headers: Annotated[dict[str, SecretStr], NoDecode] = Field(
        default_factory=dict,
        description="Extra request headers, `Name=value,Name=value` or a JSON object (Mimir, "
        "Cortex: `X-Scope-OrgID=tenant-a`); only their names are ever shown.",
    )

    @field_validator("prometheus_headers", mode="before")
    @classmethod
    def _parse_headers(cls, value: Any) -> Any:
        return parse_headers(value) if isinstance(value, str) else value

    @field_validator("prometheus_headers")
    @classmethod
    def _header_names(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, secret in value.items():
            if not _HEADER_NAME.match(name):
                raise ValueError(f"TIGHTROPE_PROMETHEUS_HEADERS: {name!r} is not a header name")
            if any(c in secret.get_secret_value() for c in "\r\n\0"):
                raise ValueError(
                    f"TIGHTROPE_PROMETHEUS_HEADERS: the value of {name} has a line break"
                )
        return value

    def prometheus_auth_mode(self) -> str:
        """How Tightrope authenticates to Prometheus, for pages: never a secret."""
        url_user = urlsplit(self.prometheus_url or "").username
        return describe_auth(
            bearer_token_file=self.prometheus_bearer_token_file,
            username=self.prometheus_username or (unquote(url_user) if url_user else None),
            ca_file=self.prometheus_ca_file,
            client_cert_file=self.prometheus_client_cert_file,
            insecure_skip_verify=self.prometheus_insecure_skip_verify,
            header_names=list(self.prometheus_headers),
        )

    @model_validator(mode="after")
    def _prometheus_consistent(self) -> Self:
        """Contradictions and missing files stop the process at start, not at the first query."""
        problems = prometheus_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def credentials_text(bearer_token_file: Path | None, username: str | None) -> str:
    """What we authenticate with, in words an error message may carry."""
    if bearer_token_file is not None:
        return f"bearer token from {bearer_token_file}"
    if username is not None:
        return f"basic auth as user {username!r}"
    return _NO_CREDENTIALS


def describe_auth(
    *,
    bearer_token_file: Path | None,
    username: str | None,
    ca_file: Path | None,
    client_cert_file: Path | None,
    insecure_skip_verify: bool,
    header_names: list[str],
) -> str:
    """The auth mode in words: credentials, TLS and header names, never their values."""
    credentials = credentials_text(bearer_token_file, username)
    parts = [credentials if credentials != _NO_CREDENTIALS else "no credentials"]
    if insecure_skip_verify:
        parts.append("server certificate NOT verified")
    elif ca_file is not None:
        parts.append(f"server certificate checked against {ca_file}")
    if client_cert_file is not None:
        parts.append(f"client certificate {client_cert_file}")
    if header_names:
        parts.append(f"header{'s' if len(header_names) > 1 else ''} {', '.join(header_names)}")
    return "; ".join(parts)


def parse_headers(text: str) -> dict[str, str]:
    """`A=1,B=2` (or a JSON object) → {"A": "1", "B": "2"}; blank → {}."""
    text = text.strip()
    if text.startswith("{"):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError("TIGHTROPE_PROMETHEUS_HEADERS is not valid JSON") from None
        if not isinstance(loaded, dict):
            raise ValueError("TIGHTROPE_PROMETHEUS_HEADERS must be a JSON object")
        return {str(k): str(v) for k, v in loaded.items()}
    headers: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, equals, value = part.partition("=")
        if not equals or not name.strip():
            raise ValueError("TIGHTROPE_PROMETHEUS_HEADERS: write Name=value, comma-separated")
        headers[name.strip()] = value.strip()
    return headers


def env_name(field: str) -> str:
    return f"TIGHTROPE_{field.upper()}"


def prometheus_problems(s: PrometheusSettings) -> list[str]:
    """Every reason these settings cannot work together (empty: they can)."""
    if s.prometheus_url is None:
        return [f"{env_name(f)} needs TIGHTROPE_PROMETHEUS_URL" for f in _set_options(s)]
    parts = urlsplit(s.prometheus_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ["TIGHTROPE_PROMETHEUS_URL must be an http:// or https:// URL with a host"]
    return [
        *_auth_problems(s, url_has_user=parts.username is not None),
        *_transport_problems(s, https=parts.scheme == "https"),
        *_plain_http_problems(s, parts.scheme, parts.hostname, url_password=bool(parts.password)),
        *_file_problems(s),
    ]


def _set_options(s: PrometheusSettings) -> list[str]:
    names = [*_FILES, "prometheus_username", "prometheus_password", "prometheus_headers"]
    return [name for name in [*names, *_TLS] if getattr(s, name)]


def _auth_problems(s: PrometheusSettings, *, url_has_user: bool) -> list[str]:
    problems = []
    basic = s.prometheus_username is not None or s.prometheus_password is not None
    if basic and s.prometheus_bearer_token_file is not None:
        problems.append(
            "set either TIGHTROPE_PROMETHEUS_BEARER_TOKEN_FILE or TIGHTROPE_PROMETHEUS_USERNAME/"
            "_PASSWORD, not both"
        )
    if (s.prometheus_username is None) != (s.prometheus_password is None):
        problems.append(
            "basic auth needs both TIGHTROPE_PROMETHEUS_USERNAME and TIGHTROPE_PROMETHEUS_PASSWORD"
        )
    if url_has_user and (basic or s.prometheus_bearer_token_file is not None):
        problems.append(
            "TIGHTROPE_PROMETHEUS_URL carries a user as well: keep one set of credentials"
        )
    credentialed = basic or s.prometheus_bearer_token_file is not None
    if credentialed and any(k.lower() == "authorization" for k in s.prometheus_headers):
        problems.append("TIGHTROPE_PROMETHEUS_HEADERS sets Authorization as well: keep one")
    return problems


def _transport_problems(s: PrometheusSettings, *, https: bool) -> list[str]:
    problems = []
    if s.prometheus_client_key_file is not None and s.prometheus_client_cert_file is None:
        problems.append(
            "TIGHTROPE_PROMETHEUS_CLIENT_KEY_FILE needs TIGHTROPE_PROMETHEUS_CLIENT_CERT_FILE"
        )
    if s.prometheus_insecure_skip_verify and s.prometheus_ca_file is not None:
        problems.append(
            "TIGHTROPE_PROMETHEUS_INSECURE_SKIP_VERIFY ignores TIGHTROPE_PROMETHEUS_CA_FILE: "
            "set one"
        )
    if not https:
        problems.extend(f"{env_name(f)} applies to https:// only" for f in _TLS if getattr(s, f))
    return problems


def _plain_http_problems(
    s: PrometheusSettings, scheme: str, host: str, *, url_password: bool
) -> list[str]:
    """Credentials in clear text only to this machine (as the billing API key)."""
    secret = s.prometheus_password is not None or s.prometheus_bearer_token_file is not None
    if scheme == "http" and (secret or url_password) and host not in _LOOPBACK:
        return ["Prometheus credentials are only sent over https (http only to a loopback host)"]
    return []


def _file_problems(s: PrometheusSettings) -> list[str]:
    problems = []
    for field in _FILES:
        path: Path | None = getattr(s, field)
        if path is None:
            continue
        if not path.is_file():
            problems.append(f"{env_name(field)} names {path}, which is not a file")
        elif not os.access(path, os.R_OK):
            problems.append(f"{env_name(field)} names {path}, which this process cannot read")
    return problems
