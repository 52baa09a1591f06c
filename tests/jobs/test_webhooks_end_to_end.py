"""From a guarded apply to a receiver: the workflow's event reaches a JSON endpoint and a Slack
one (configured by file, kinds filtered) through the sidecar's poller (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.settings import Settings
from jobs.context import JobContext
from jobs.webhooks import deliver_webhooks
from tests.data.workflow.world import NOW, add_open_rec, make_flow
from tests.jobs.test_webhooks import SECRET, Clock, verify
from tests.support.webhook_receiver import Script, receiving


def test_an_apply_reaches_a_json_and_a_slack_receiver(
    settings: Settings,
    db_engine: Engine,
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    rec = add_open_rec(sessions, "checkout-api")
    make_flow(sessions).apply("apu", rec.id, expected_version=rec.version, now=NOW)
    generic, slack, budgets_only = Script(), Script(), Script()
    with (
        receiving(generic) as json_url,
        receiving(slack) as slack_url,
        receiving(budgets_only) as budget_url,
    ):
        config = _config(tmp_path, json_url, slack_url, budget_url)
        ctx = JobContext(
            settings.model_copy(update={"webhook_config_file": config}),
            db_engine, sessions, load_catalog(), clock=Clock(NOW + timedelta(minutes=1)),
        )  # fmt: skip
        report = deliver_webhooks(ctx)

    assert report is not None
    assert report.statuses == ("delivered", "delivered")
    (request,) = generic.received
    assert verify(SECRET, request.headers["X-Tightrope-Signature"], request.body, now=NOW)
    envelope = json.loads(request.body)
    assert (envelope["kind"], envelope["data"]["recommendation_id"]) == (
        "recommendation.applied",
        rec.id,
    )
    (message,) = slack.received
    text = json.loads(message.body)["text"]
    assert text == "Recommendation applied: rightsize on Checkout Api, $70.08/month"
    assert budgets_only.received == []


def _config(folder: Path, json_url: str, slack_url: str, budget_url: str) -> Path:
    (folder / "generic.secret").write_text(SECRET + "\n")
    endpoints = [
        {"name": "automation", "url": json_url, "secret_file": "generic.secret"},
        {"name": "chat", "url": slack_url, "format": "slack"},
        {"name": "budgets", "url": budget_url, "kinds": ["budget.state_changed"]},
    ]
    path = folder / "webhooks.json"
    path.write_text(json.dumps({"endpoints": endpoints}))
    return path
