"""The sidecar's hand-off round: what the page left (no git at apply time) is pushed later."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.handoff.views import handoffs
from data.settings import Settings
from jobs.context import JobContext
from jobs.handoff import hand_off_changes
from tests.data.handoff.world import SLUG, bare_repository, branches, gitops, kube_rec
from tests.data.workflow.world import ADMIN, NOW, make_flow


def test_the_round_hands_off_what_the_apply_left_pending(
    sessions: sessionmaker[Session], db_engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    repo = bare_repository(tmp_path / "gitops.git")
    rec = kube_rec(sessions)
    # A workflow without the hand-off step (the process died right after the commit).
    make_flow(sessions).apply(ADMIN, rec.id, expected_version=rec.version, now=NOW)
    later = NOW + timedelta(seconds=30)
    ctx = JobContext(
        gitops(settings, repo), db_engine, sessions, load_catalog(), clock=lambda: later
    )

    assert hand_off_changes(ctx) == 1
    assert hand_off_changes(ctx) == 0  # done: the next round finds nothing due

    with sessions() as session:
        (view,) = handoffs(session, recommendation_ids=[rec.id])
    assert (view.status, view.commit_sha) == (
        "handed_off",
        branches(repo)[f"tightrope/{SLUG}-{rec.id}"],
    )
