"""TIGHTROPE_WEBHOOK_*: where alerts go, how often a failed delivery is retried (decision 020)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode

WebhookFormat = Literal["json", "slack"]


class WebhookSettings(BaseSettings):
    """The webhook part of `Settings` (its base class, never built on its own).

    Endpoints come from TIGHTROPE_WEBHOOK_URLS (all sharing one format and secret) and/or a
    JSON file of endpoints, each with its own format, secret and event kinds (docs/webhooks.md).
    """

    webhook_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Webhook endpoints, comma-separated or a JSON list; every event kind.",
    )
    webhook_format: WebhookFormat = Field(
        default="json", description="Payload of TIGHTROPE_WEBHOOK_URLS: json (signed) or slack."
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="HMAC-SHA256 key signing TIGHTROPE_WEBHOOK_URLS' payloads (or _FILE).",
    )
    webhook_config_file: Path | None = Field(
        default=None,
        description='JSON file {"endpoints": [{name, url, format, secret_file, kinds}]}.',
    )
    webhook_min_savings_usd: float = Field(
        default=500.0, ge=0, description="A recomputed recommendation saving this much a month "
        "or more is announced (recommendation.high_value).",
    )  # fmt: skip
    webhook_max_attempts: int = Field(default=10, ge=1, le=100)
    webhook_backoff_base_s: float = Field(default=30.0, gt=0, le=3600)
    webhook_backoff_max_s: float = Field(default=3600.0, gt=0, le=7 * 24 * 3600)
    webhook_jitter_pct: float = Field(default=20.0, ge=0, lt=100)
    webhook_timeout_s: float = Field(default=5.0, gt=0, le=60)
    webhook_poll_s: int = Field(default=15, ge=1, le=3600)
    webhook_batch_size: int = Field(default=50, ge=1, le=1000)
    webhook_retention_days: int = Field(
        default=30, ge=1, le=3650, description="Settled outbox events (every delivery delivered "
        "or dead) older than this are pruned with their delivery log (decision 024).",
    )  # fmt: skip

    @field_validator("webhook_urls", mode="before")
    @classmethod
    def _parse_urls(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]

    @field_validator("webhook_urls")
    @classmethod
    def _http_urls(cls, value: list[str]) -> list[str]:
        for position, url in enumerate(value, start=1):
            if not url.startswith(("https://", "http://")):
                raise ValueError(f"TIGHTROPE_WEBHOOK_URLS: entry {position} is not an http(s) URL")
        return value
