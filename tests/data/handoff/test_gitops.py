"""Apply and rollback hand their change to a real (bare, local) GitOps repository (decision 023)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from data.errors import GitOpsFailed
from data.handoff.gitops import GitTarget, push_files
from data.handoff.runner import HANDOFF_ACTOR, HandoffRunner
from data.handoff.schemas import validate_patch
from data.handoff.views import HandoffView, handoffs
from data.models import AuditEventRow, KubeWorkloadRow
from data.settings import Settings
from tests.data.handoff.world import (
    CURRENT,
    PROPOSED,
    SLUG,
    bare_repository,
    branches,
    flow,
    git_show,
    gitops,
    kube_rec,
    kube_service,
    require_git,
)
from tests.data.workflow.world import ADMIN, NOW, add_open_rec, live, make_rec, store

RETRY = timedelta(seconds=300)


def _views(sessions: sessionmaker[Session], rec_id: int) -> list[HandoffView]:
    with sessions() as session:
        return handoffs(session, recommendation_ids=[rec_id])


def _containers(patch: dict[str, object]) -> list[tuple[str, dict[str, str]]]:
    spec = patch["spec"]
    assert isinstance(spec, dict)
    return [(c["name"], c["resources"]["requests"]) for c in spec["template"]["spec"]["containers"]]


def test_apply_commits_the_validated_patch_and_its_evidence_on_a_new_branch(
    sessions: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    repo = bare_repository(tmp_path / "gitops.git")
    main = branches(repo)["main"]
    rec = kube_rec(sessions)

    outcome = flow(sessions, gitops(settings, repo)).apply(
        ADMIN, rec.id, expected_version=rec.version, now=NOW
    )

    branch = f"tightrope/{SLUG}-{rec.id}"
    sha = branches(repo)[branch]
    assert outcome.handoff == f"recorded and handed off (commit {sha[:7]} on branch {branch})"
    (view,) = _views(sessions, rec.id)
    assert (view.status, view.commit_sha, view.branch, view.attempts) == (
        "handed_off",
        sha,
        branch,
        1,
    )
    patch_text = git_show(repo, f"{branch}:tightrope/{SLUG}/patch.yaml")
    assert patch_text == view.manifest
    (patch,) = yaml.safe_load_all(patch_text)
    validate_patch(patch, "1.33")
    assert (patch["kind"], patch["metadata"]) == (
        "Deployment",
        {"name": "checkout", "namespace": "shop"},
    )
    assert patch["spec"]["replicas"] == 3
    # cpu × 0.5 and memory × 0.75 for each container; app's 4 GiB limit stays above: untouched
    assert _containers(patch) == [
        ("app", {"cpu": "375m", "memory": "1152Mi"}),
        ("envoy", {"cpu": "125m", "memory": "384Mi"}),
    ]
    assert git_show(repo, f"{branch}~1").startswith(f"commit {main}")  # branched from main
    assert branches(repo)["main"] == main  # nothing merged: that is the operator's call
    evidence = json.loads(
        git_show(repo, f"{branch}:tightrope/{SLUG}/recommendation-{rec.id}-apply.json")
    )
    assert evidence["predicted_savings"]["monthly_savings_usd"] == 70.08
    assert "effective monthly cost" in evidence["predicted_savings"]["basis"]
    assert evidence["sla_verdict"]["passes"] is True
    assert evidence["sla_verdict"]["projected_p95_ms"] == 180.0
    assert (evidence["approved_by"], evidence["config_after"]["replicas"]) == (ADMIN, 3)
    page = git_show(repo, f"{branch}:tightrope/{SLUG}/recommendation-{rec.id}-apply.md")
    assert f"- Approved by: {ADMIN} at {NOW.isoformat()}" in page
    assert "- SLA verdict: kept; reasons: —" in page
    assert "changed nothing in the cluster or the cloud" in page


def test_the_result_is_recorded_with_its_audit_event(
    sessions: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    repo = bare_repository(tmp_path / "gitops.git")
    rec = kube_rec(sessions)

    flow(sessions, gitops(settings, repo)).apply(
        ADMIN, rec.id, expected_version=rec.version, now=NOW
    )

    with sessions() as session:
        (event,) = session.scalars(select(AuditEventRow).where(AuditEventRow.action == "handoff"))
    assert (event.actor, event.target_type, event.target_id) == (
        HANDOFF_ACTOR,
        "recommendation",
        str(rec.id),
    )
    assert event.before == {"status": "pushing", "commit_sha": None}
    assert event.after == {
        "status": "handed_off",
        "commit_sha": branches(repo)[f"tightrope/{SLUG}-{rec.id}"],
        "branch": f"tightrope/{SLUG}-{rec.id}",
    }


def test_a_failing_push_leaves_the_apply_recorded_and_is_retried_later(
    sessions: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    require_git()
    missing = tmp_path / "not-there-yet.git"
    configured = gitops(settings, missing)
    rec = kube_rec(sessions)

    outcome = flow(sessions, configured).apply(ADMIN, rec.id, expected_version=rec.version, now=NOW)

    assert outcome.status == "applied"
    assert live(sessions, rec.service_id or 0) == PROPOSED  # the apply stands
    (failed,) = _views(sessions, rec.id)
    assert (failed.status, failed.commit_sha, failed.next_attempt_at) == (
        "failed",
        None,
        NOW + RETRY,
    )
    assert failed.last_error is not None
    assert failed.last_error.startswith("git ls-remote failed")
    assert "not-there-yet.git" in failed.last_error
    assert outcome.handoff.startswith("recorded only so far — hand-off failed (git ls-remote")
    runner = HandoffRunner(sessions, configured)
    assert runner.hand_off_due(now=NOW + RETRY - timedelta(seconds=1)) == 0  # not due yet

    bare_repository(missing)
    assert runner.hand_off_due(now=NOW + RETRY) == 1

    (done,) = _views(sessions, rec.id)
    sha = branches(missing)[f"tightrope/{SLUG}-{rec.id}"]
    assert (done.status, done.commit_sha, done.attempts, done.last_error) == (
        "handed_off",
        sha,
        2,
        None,
    )
    assert runner.hand_off_due(now=NOW + 10 * RETRY) == 0  # done: never again


def test_rollback_commits_the_reverse_patch(
    sessions: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    repo = bare_repository(tmp_path / "gitops.git")
    rec = kube_rec(sessions)
    workflow = flow(sessions, gitops(settings, repo))
    applied = workflow.apply(ADMIN, rec.id, expected_version=rec.version, now=NOW)

    rolled = workflow.rollback(ADMIN, applied.change_id or 0, now=NOW + timedelta(hours=1))

    branch = f"tightrope/{SLUG}-{rec.id}-rollback"
    sha = branches(repo)[branch]
    assert rolled.handoff == f"recorded and handed off (commit {sha[:7]} on branch {branch})"
    (patch,) = yaml.safe_load_all(git_show(repo, f"{branch}:tightrope/{SLUG}/patch.yaml"))
    validate_patch(patch, "1.33")
    assert patch["spec"]["replicas"] == 4
    assert _containers(patch) == [  # exactly what the apply found
        ("app", {"cpu": "750m", "memory": "1536Mi"}),
        ("envoy", {"cpu": "250m", "memory": "512Mi"}),
    ]
    containers = patch["spec"]["template"]["spec"]["containers"]
    assert all("limits" not in c["resources"] for c in containers)  # the apply raised none
    assert [(v.action, v.status) for v in _views(sessions, rec.id)] == [
        ("apply", "handed_off"),
        ("rollback", "handed_off"),
    ]


def test_rollback_puts_back_the_limit_the_apply_raised(
    sessions: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    repo = bare_repository(tmp_path / "gitops.git")
    rec = kube_rec(sessions, memory_request_gib=8.0)  # the app's 1.5 of 2 GiB → 6 GiB > its 4
    workflow = flow(sessions, gitops(settings, repo))
    applied = workflow.apply(ADMIN, rec.id, expected_version=rec.version, now=NOW)
    workflow.rollback(ADMIN, applied.change_id or 0, now=NOW + timedelta(hours=1))

    def app(branch: str) -> dict[str, dict[str, str]]:
        (patch,) = yaml.safe_load_all(git_show(repo, f"{branch}:tightrope/{SLUG}/patch.yaml"))
        resources: dict[str, dict[str, str]] = patch["spec"]["template"]["spec"]["containers"][0][
            "resources"
        ]
        return resources

    assert app(f"tightrope/{SLUG}-{rec.id}") == {
        "requests": {"cpu": "375m", "memory": "6144Mi"},
        "limits": {"memory": "6144Mi"},
    }
    assert app(f"tightrope/{SLUG}-{rec.id}-rollback") == {
        "requests": {"cpu": "750m", "memory": "1536Mi"},
        "limits": {"memory": "4096Mi"},
    }


def test_pushing_the_same_hand_off_again_is_harmless(tmp_path: Path) -> None:
    repo = bare_repository(tmp_path / "gitops.git")
    target = GitTarget(str(repo), "main", "Tightrope", "t@example.com", 60.0)
    files = {"tightrope/svc/patch.yaml": "kind: Deployment\n", "tightrope/svc/why.md": "because\n"}

    first = push_files(target, "tightrope/svc-1", files, "first")
    again = push_files(target, "tightrope/svc-1", files, "again")

    assert again == first == branches(repo)["tightrope/svc-1"]
    assert "again" not in git_show(repo, "tightrope/svc-1")  # no second commit


def test_an_empty_repository_gets_a_branch_of_its_own(tmp_path: Path) -> None:
    require_git()
    repo = tmp_path / "empty.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    target = GitTarget(repo.as_uri(), "main", "Tightrope", "t@example.com", 60.0)  # file:// URL

    sha = push_files(target, "tightrope/svc-1", {"p.yaml": "x: 1\n"}, "first")

    assert branches(repo) == {"tightrope/svc-1": sha}


def test_credentials_in_the_url_never_reach_the_error(tmp_path: Path) -> None:
    require_git()
    target = GitTarget("http://bot:s3cret-token@127.0.0.1:9/repo.git", "main", "T", "t@x", 30.0)

    with pytest.raises(GitOpsFailed) as failed:
        push_files(target, "tightrope/svc-1", {"p.yaml": "x: 1\n"}, "first")

    assert "s3cret" not in str(failed.value)
    assert "s3cret" not in repr(target)
    assert "http://***@127.0.0.1:9/repo.git" in str(failed.value)


def test_a_vm_change_is_handed_off_as_a_description(
    sessions: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    repo = bare_repository(tmp_path / "gitops.git")
    rec = add_open_rec(sessions, "billing-vm")

    outcome = flow(sessions, gitops(settings, repo)).apply(
        ADMIN, rec.id, expected_version=rec.version, now=NOW
    )

    assert outcome.handoff.startswith("recorded and handed off (commit ")
    text = git_show(
        repo, f"tightrope/billing-vm-{rec.id}:tightrope/billing-vm/instance-type-change.md"
    )
    assert "- Instance type: m5.large → m5.large" in text
    assert "- Instances: 3 → 2 (minimum 2 → 2)" in text
    assert "- Provider / region: aws / us-east-1" in text


def test_a_workload_without_inventory_is_recorded_only_with_the_reason(
    sessions: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    repo = bare_repository(tmp_path / "gitops.git")
    rec = kube_rec(sessions)
    with sessions.begin() as session:  # discovery lost the workload since the recompute
        session.execute(delete(KubeWorkloadRow))

    outcome = flow(sessions, gitops(settings, repo)).apply(
        ADMIN, rec.id, expected_version=rec.version, now=NOW
    )

    assert outcome.status == "applied"
    (view,) = _views(sessions, rec.id)
    assert (view.status, view.next_attempt_at) == ("failed", None)  # retrying cannot fix it
    assert outcome.handoff == (
        "recorded only — not changed anywhere: "
        "shop.deploy.checkout has no discovered workload to patch"
    )
    assert set(branches(repo)) == {"main"}


def test_an_hpa_floor_change_patches_the_hpa(
    sessions: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    repo = bare_repository(tmp_path / "gitops.git")
    service_id = kube_service(sessions, hpa=True)
    rec = store(sessions, make_rec(service_id, CURRENT, min_replicas=3, replicas=4))
    assert replace(CURRENT, min_replicas=3) == rec.proposed

    flow(sessions, gitops(settings, repo)).apply(
        ADMIN, rec.id, expected_version=rec.version, now=NOW
    )

    deployment, hpa = yaml.safe_load_all(
        git_show(repo, f"tightrope/{SLUG}-{rec.id}:tightrope/{SLUG}/patch.yaml")
    )
    assert "replicas" not in deployment["spec"]
    assert (hpa["kind"], hpa["spec"]) == ("HorizontalPodAutoscaler", {"minReplicas": 3})
