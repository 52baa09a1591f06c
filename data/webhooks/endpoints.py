"""Webhook endpoints from TIGHTROPE_WEBHOOK_URLS and TIGHTROPE_WEBHOOK_CONFIG_FILE.

Errors name the setting, the file and the entry, never a URL or a secret: a Slack webhook's
path is its credential.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlsplit

from pydantic import SecretStr

from data.errors import InvalidInput
from data.outbox import KINDS
from data.webhook_settings import WebhookFormat, WebhookSettings

NAME_MAX_CHARS = 120


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where events go. `kinds` empty: every kind. `secret` None: payloads are not signed."""

    name: str
    url: str
    format: WebhookFormat
    secret: SecretStr | None = field(default=None, repr=False)
    kinds: frozenset[str] = frozenset()

    def wants(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds

    @property
    def shown_url(self) -> str:
        return shown_url(self.url)


def shown_url(url: str) -> str:
    """The URL without what may be a credential: user:password, query, fragment, and every
    path segment after the first (Slack's /services/T…/B…/<token> is its secret)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    segments = [s for s in parts.path.split("/") if s]
    path = f"/{segments[0]}" if segments else ""
    if len(segments) > 1 or parts.query:
        path += "/…"
    return f"{parts.scheme}://{netloc}{path}"


def load_endpoints(settings: WebhookSettings) -> tuple[Endpoint, ...]:
    """Every configured endpoint; InvalidInput for a bad file or entry, or a name used twice."""
    found = [
        Endpoint(_url_name(url), url, settings.webhook_format, settings.webhook_secret)
        for url in settings.webhook_urls
    ]
    if settings.webhook_config_file is not None:
        found += _from_file(settings.webhook_config_file)
    names = [endpoint.name for endpoint in found]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InvalidInput(f"webhook endpoint names used twice: {', '.join(duplicates)}")
    return tuple(found)


def _url_name(url: str) -> str:
    """A stable name for a bare URL: its deliveries survive a restart under the same name."""
    return "url-" + hashlib.sha256(url.encode()).hexdigest()[:12]


def _from_file(path: Path) -> list[Endpoint]:
    where = f"TIGHTROPE_WEBHOOK_CONFIG_FILE {path}"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InvalidInput(f"{where}: not a readable JSON file ({type(error).__name__})") from None
    entries = document.get("endpoints") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise InvalidInput(f'{where}: expected {{"endpoints": [...]}}')
    return [_entry(entry, f"{where}, endpoint {n}", path.parent) for n, entry in
            enumerate(entries, start=1)]  # fmt: skip


def _entry(entry: Any, where: str, base: Path) -> Endpoint:
    if not isinstance(entry, Mapping):
        raise InvalidInput(f"{where}: expected an object")
    url, name = entry.get("url"), entry.get("name")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise InvalidInput(f"{where}: url must be an http(s) URL")
    if name is None:
        name = _url_name(url)
    if not isinstance(name, str) or not 0 < len(name) <= NAME_MAX_CHARS:
        raise InvalidInput(f"{where}: name must be 1 to {NAME_MAX_CHARS} characters")
    fmt = entry.get("format", "json")
    if fmt not in get_args(WebhookFormat):
        raise InvalidInput(f"{where}: format must be json or slack")
    return Endpoint(name, url, fmt, _secret(entry, where, base), _kinds(entry, where))


def _secret(entry: Mapping[str, Any], where: str, base: Path) -> SecretStr | None:
    if "secret" in entry and "secret_file" in entry:
        raise InvalidInput(f"{where}: give secret or secret_file, not both")
    if isinstance(entry.get("secret"), str):
        return SecretStr(entry["secret"])
    path = entry.get("secret_file")
    if path is None:
        return None
    try:
        text = (base / str(path)).read_text(encoding="utf-8")
    except OSError:
        raise InvalidInput(f"{where}: secret_file {path} cannot be read") from None
    return SecretStr(text.removesuffix("\n"))


def _kinds(entry: Mapping[str, Any], where: str) -> frozenset[str]:
    kinds = entry.get("kinds", [])
    if not isinstance(kinds, list) or any(kind not in KINDS for kind in kinds):
        raise InvalidInput(f"{where}: kinds must be a list of {', '.join(KINDS)}")
    return frozenset(kinds)
