"""How requests reach one Prometheus: credentials, TLS and extra headers, built from Settings."""

from __future__ import annotations

import logging
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import requests
from pydantic import SecretStr

from data.errors import PrometheusAuthError, PrometheusTlsError
from data.prometheus_settings import PrometheusSettings, credentials_text, describe_auth

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, repr=False)
class PrometheusConnection:
    """Where one Prometheus is and how to authenticate; the repr never shows a secret."""

    url: str  # never carries user info: messages quote it
    bearer_token_file: Path | None = None
    username: str | None = None
    password: SecretStr | None = None
    ca_file: Path | None = None
    client_cert_file: Path | None = None
    client_key_file: Path | None = None
    insecure_skip_verify: bool = False
    headers: tuple[tuple[str, SecretStr], ...] = ()

    @classmethod
    def of(cls, url: str) -> PrometheusConnection:
        """A plain connection; `https://user:pass@host` becomes basic auth, out of the URL."""
        plain, username, password = _split_credentials(url, None, None)
        return cls(plain, username=username, password=password)

    @classmethod
    def from_settings(cls, settings: PrometheusSettings) -> PrometheusConnection:
        """The configured connection (TIGHTROPE_PROMETHEUS_URL must be set)."""
        if settings.prometheus_url is None:
            raise ValueError("TIGHTROPE_PROMETHEUS_URL is not set")
        url, username, password = _split_credentials(
            settings.prometheus_url, settings.prometheus_username, settings.prometheus_password
        )
        return cls(
            url,
            bearer_token_file=settings.prometheus_bearer_token_file,
            username=username,
            password=password,
            ca_file=settings.prometheus_ca_file,
            client_cert_file=settings.prometheus_client_cert_file,
            client_key_file=settings.prometheus_client_key_file,
            insecure_skip_verify=settings.prometheus_insecure_skip_verify,
            headers=tuple(settings.prometheus_headers.items()),
        )

    @property
    def credentials(self) -> str:
        """What we authenticate with, in words an error message may carry."""
        return credentials_text(self.bearer_token_file, self.username)

    def describe(self) -> str:
        """The auth mode for people: credentials, TLS and header names, never their values."""
        return describe_auth(
            bearer_token_file=self.bearer_token_file,
            username=self.username,
            ca_file=self.ca_file,
            client_cert_file=self.client_cert_file,
            insecure_skip_verify=self.insecure_skip_verify,
            header_names=[name for name, _ in self.headers],
        )

    def session(self) -> requests.Session:
        """A requests session that sends all of this; TLS files are loaded once here, so a
        bad certificate or an encrypted key fails at start with the file named."""
        check_tls_files(self)
        http = requests.Session()
        http.verify = _verify(self)
        if self.client_cert_file is not None:
            cert, key = str(self.client_cert_file), self.client_key_file
            http.cert = (cert, str(key)) if key is not None else cert
        http.auth = self._auth()
        http.headers.update({name: value.get_secret_value() for name, value in self.headers})
        if self.insecure_skip_verify:
            log.warning(
                "TIGHTROPE_PROMETHEUS_INSECURE_SKIP_VERIFY is on: %s is not authenticated, "
                "anyone in the path can read the credentials and forge the metrics",
                self.url,
            )
        return http

    def _auth(self) -> requests.auth.AuthBase | None:
        if self.bearer_token_file is not None:
            return BearerTokenFile(self.bearer_token_file)
        if self.username is not None and self.password is not None:
            return requests.auth.HTTPBasicAuth(self.username, self.password.get_secret_value())
        return None

    def __repr__(self) -> str:
        return f"PrometheusConnection({self.url!r}, {self.describe()!r})"


class BearerTokenFile(requests.auth.AuthBase):
    """`Authorization: Bearer <token>` read from a file, again whenever the file changes.

    Kubernetes rotates a projected service-account token by swapping a symlink (a new inode)
    well before the old token expires, so a stat per request (microseconds, next to a query)
    is enough; no timer, no restart. The lock keeps concurrent queries to one read.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._token = SecretStr("")

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token().get_secret_value()}"
        return request

    def token(self) -> SecretStr:
        try:
            stat = self.path.stat()
            with self._lock:
                if (stat.st_ino, stat.st_mtime_ns, stat.st_size) != self._seen:
                    self._token = self._read()
                    self._seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
                    log.info("bearer token (re)read from %s", self.path)
                return self._token
        except OSError as error:
            reason = type(error).__name__
            raise PrometheusAuthError(
                f"bearer token file {self.path} cannot be read ({reason})"
            ) from None

    def _read(self) -> SecretStr:
        token = self.path.read_text(encoding="utf-8").strip()
        if not token:
            raise PrometheusAuthError(f"bearer token file {self.path} is empty")
        return SecretStr(token)

    def __repr__(self) -> str:
        return f"BearerTokenFile({str(self.path)!r})"


def _split_credentials(
    url: str, username: str | None, password: SecretStr | None
) -> tuple[str, str | None, SecretStr | None]:
    """Credentials written into the URL move out of it: requests would send them anyway, and
    every error message quotes the URL."""
    parts = urlsplit(url.rstrip("/"))
    if parts.username is None:
        return urlunsplit(parts), username, password
    netloc = parts.netloc.rpartition("@")[2]
    plain = urlunsplit(parts._replace(netloc=netloc))
    return plain, unquote(parts.username), SecretStr(unquote(parts.password or ""))


def _verify(connection: PrometheusConnection) -> bool | str:
    if connection.insecure_skip_verify:
        return False
    return str(connection.ca_file) if connection.ca_file is not None else True


class _EncryptedKey(Exception):
    """OpenSSL asked for a passphrase: the key file is encrypted."""


def _no_passphrase() -> str:
    # Without a callback OpenSSL would prompt on the terminal; a sidecar would hang there.
    raise _EncryptedKey


def check_tls_files(connection: PrometheusConnection) -> None:
    """Load the CA bundle and the client certificate + key as requests will; errors name the
    file and OpenSSL's reason (never the file's content)."""
    context = ssl.create_default_context()
    if connection.ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(connection.ca_file))
        except (ssl.SSLError, OSError) as error:
            raise PrometheusTlsError(
                f"TIGHTROPE_PROMETHEUS_CA_FILE {connection.ca_file}: {_reason(error)}"
            ) from None
    if connection.client_cert_file is not None:
        key = connection.client_key_file
        try:
            context.load_cert_chain(connection.client_cert_file, key, password=_no_passphrase)
        except _EncryptedKey:
            raise PrometheusTlsError(
                f"the client key {key or connection.client_cert_file} is encrypted; "
                "give an unencrypted key (a mounted secret)"
            ) from None
        except (ssl.SSLError, OSError) as error:
            raise PrometheusTlsError(
                f"client certificate {connection.client_cert_file} / key {key}: {_reason(error)}"
            ) from None


def tls_failure(
    connection: PrometheusConnection, error: BaseException
) -> PrometheusTlsError | None:
    """A failed handshake in words (OpenSSL's reason, what we trusted and presented); None
    when `error` is not about TLS (a refused connection, a timeout)."""
    reason = _ssl_reason(error)
    if reason is None:
        return None
    trusted = f"CA bundle {connection.ca_file}" if connection.ca_file else "the system's CAs"
    presented = (
        f"client certificate {connection.client_cert_file}"
        if connection.client_cert_file is not None
        else "no client certificate"
    )
    return PrometheusTlsError(
        f"{connection.url}: TLS handshake failed ({reason}); trusted {trusted}, "
        f"presented {presented}"
    )


def _reason(error: BaseException) -> str:
    return _ssl_reason(error) or type(error).__name__


def _ssl_reason(error: BaseException) -> str | None:
    """The innermost ssl.SSLError's reason (requests and urllib3 wrap it two or three times,
    in args, in `.reason` or as the cause)."""
    stack, seen = [error], set()
    while stack:
        current = stack.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return f"certificate verify failed: {current.verify_message}"
        if isinstance(current, ssl.SSLError) and current.reason:
            return str(current.reason).replace("_", " ").lower()
        inner = [*getattr(current, "args", ()), getattr(current, "reason", None)]
        inner += [current.__cause__, current.__context__]
        stack.extend(e for e in inner if isinstance(e, BaseException))
    return None
