"""Webhook payloads and endpoint configuration: Slack escaping, secret-free URLs, the file."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from data.errors import InvalidInput
from data.settings import Settings
from data.webhooks.delivery import RetryPolicy
from data.webhooks.endpoints import Endpoint, load_endpoints, shown_url
from data.webhooks.payloads import Event, request_for, slack_body

AT = datetime(2026, 11, 20, 10, tzinfo=UTC)
EVENT = Event(7, "anomaly.detected", AT, {"service": "<!channel> & <https://evil|click>"})


def test_slack_text_escapes_what_users_named() -> None:
    message = json.loads(slack_body(EVENT))

    assert "<!channel>" not in json.dumps(message)
    assert message["text"].startswith("Cost anomaly on &lt;!channel&gt; &amp; &lt;https://evil|")
    assert message["blocks"][0] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": message["text"]},
    }


def test_an_unsigned_endpoint_gets_no_signature_and_a_signed_one_no_secret() -> None:
    plain = Endpoint("a", "http://127.0.0.1/x", "json")
    signed = Endpoint("b", "http://127.0.0.1/x", "json", SecretStr("s3cret-value"))

    _, plain_headers = request_for(EVENT, plain, now=AT)
    body, signed_headers = request_for(EVENT, signed, now=AT)

    assert "X-Tightrope-Signature" not in plain_headers
    assert signed_headers["X-Tightrope-Signature"].startswith(f"t={int(AT.timestamp())},v1=")
    assert b"s3cret" not in body
    assert "s3cret" not in repr(signed)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://user:pw@hooks.example.com:8443/in?token=abc#x",
            "https://hooks.example.com:8443/in/…",
        ),
        ("https://hooks.slack.com/services/T0/B0/XXXXSECRET", "https://hooks.slack.com/services/…"),
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
    ],
)
def test_the_shown_url_drops_credentials(url: str, shown: str) -> None:
    assert shown_url(url) == shown


def test_endpoints_from_a_file_with_a_secret_file_and_kinds(tmp_path: Path) -> None:
    (tmp_path / "slack.secret").write_text("from-file\n")
    config = tmp_path / "webhooks.json"
    config.write_text(
        json.dumps(
            {
                "endpoints": [
                    {"name": "ops", "url": "https://hooks.slack.com/services/T/B/C",
                     "format": "slack", "secret_file": "slack.secret",
                     "kinds": ["budget.state_changed"]},
                    {"url": "https://example.com/hook"},
                ]
            }
        )
    )  # fmt: skip
    settings = Settings(
        _env_file=None, webhook_urls=["https://a.example/x"], webhook_config_file=config
    )

    bare, ops, unnamed = load_endpoints(settings)

    assert (ops.name, ops.format, ops.kinds) == (
        "ops",
        "slack",
        frozenset({"budget.state_changed"}),
    )
    assert ops.secret is not None
    assert ops.secret.get_secret_value() == "from-file"
    assert ops.wants("budget.state_changed")
    assert not ops.wants("anomaly.detected")
    assert bare.wants("anomaly.detected")
    assert bare.name.startswith("url-")
    assert unnamed.name.startswith("url-")


@pytest.mark.parametrize(
    "entry",
    [
        {"url": "ftp://x"},
        {"url": "https://x", "format": "xml"},
        {"url": "https://x", "kinds": ["everything"]},
        {"url": "https://x", "secret": "a", "secret_file": "b"},
    ],
)
def test_a_bad_entry_is_refused_without_echoing_it(
    tmp_path: Path, entry: dict[str, object]
) -> None:
    config = tmp_path / "webhooks.json"
    config.write_text(json.dumps({"endpoints": [entry]}))
    settings = Settings(_env_file=None, webhook_config_file=config)

    with pytest.raises(InvalidInput, match="endpoint 1") as refused:
        load_endpoints(settings)

    assert "https://x" not in str(refused.value)


def test_backoff_doubles_to_the_cap_and_jitter_only_shortens() -> None:
    policy = RetryPolicy(base_s=30, max_s=600, jitter_pct=20)
    rng = random.Random(1)

    delays = [[policy.backoff_s(attempt, rng) for _ in range(200)] for attempt in (1, 2, 6)]

    for ceiling, drawn in zip((30, 60, 600), delays, strict=True):
        assert all(ceiling * 0.8 <= d <= ceiling for d in drawn)
        assert max(drawn) - min(drawn) > ceiling * 0.1  # spread, not one value
