"""The step after commit: hand each pending change to the GitOps repository, record the result.

At least once: the apply's transaction wrote the hand-off row; this step claims it (a lease:
`pushing` until `next_attempt_at`), pushes outside any transaction, then records the commit or
the failure through the guard with an audit event. A crash between push and record leaves the
lease to expire and the next round pushes again, which finds the branch up to date (gitops).
The page calls it right after an apply commits; the sidecar's round retries what is left.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from data.errors import Forbidden, GitOpsFailed
from data.gitops_settings import GitopsSettings
from data.guard import NO_ID, Attempt, Guard
from data.handoff.evidence import markdown
from data.handoff.gitops import GitTarget, push_files
from data.handoff.record import FAILED, PENDING
from data.handoff.views import HANDED_OFF, RECORDED_ONLY, HandoffView, handoffs
from data.models import HandoffRow
from data.repos.audit import record_event
from data.settings import Role

log = logging.getLogger(__name__)
HANDOFF_ACTOR: Final = "tightrope:handoff"
PUSHING: Final = "pushing"
_UNSAFE_REF = re.compile(r"[^A-Za-z0-9._/-]+|\.{2,}")


@dataclass(frozen=True, slots=True)
class Claimed:
    """A hand-off this round owns until its lease ends."""

    id: int
    change_id: int
    recommendation_id: int | None
    action: str
    target: str
    service: str
    manifest: str
    evidence: dict[str, Any]


class _SystemPolicy:
    """Only the hand-off step itself may record a hand-off's result."""

    def role_of(self, actor: str) -> Role:
        return "approver" if actor == HANDOFF_ACTOR else "viewer"

    def require(self, actor: str, needed: Role, *, action: str) -> None:
        if actor != HANDOFF_ACTOR:
            raise Forbidden(f"{actor} may not {action}: only the hand-off step records it")


class HandoffRunner:
    """`HandoffRunner(sessions, settings).hand_off_changes([change_id], now=now)`."""

    def __init__(self, sessions: sessionmaker[Session], settings: GitopsSettings) -> None:
        self._sessions = sessions
        self._target = GitTarget.from_settings(settings)
        self._prefix = settings.gitops_branch_prefix
        self._folder = settings.gitops_path.strip("/")
        self._lease = timedelta(seconds=settings.gitops_retry_s)
        self._guard = Guard(sessions, _SystemPolicy())

    def hand_off_changes(self, change_ids: Iterable[int], *, now: datetime) -> list[HandoffView]:
        """Hand off these changes' pending rows now (right after their transaction committed)."""
        ids = list(change_ids)
        with self._sessions() as session:
            due = session.scalars(select(HandoffRow.id).where(HandoffRow.change_id.in_(ids)))
            pending = list(due)
        for handoff_id in pending:
            self._one(handoff_id, now)
        with self._sessions() as session:
            return handoffs(session, change_ids=ids)

    def hand_off_due(self, *, now: datetime, limit: int = 50) -> int:
        """The sidecar's round: every hand-off whose (re)try time has come; how many ran."""
        with self._sessions() as session:
            due = list(session.scalars(
                select(HandoffRow.id).where(_due(now)).order_by(HandoffRow.id).limit(limit)
            ))  # fmt: skip
        return sum(1 for handoff_id in due if self._one(handoff_id, now))

    def _one(self, handoff_id: int, now: datetime) -> bool:
        claimed = self._claim(handoff_id, now)
        if claimed is None:
            return False
        if self._target is None:
            self._finish(claimed, {"status": RECORDED_ONLY}, now=now)
            return True
        branch, files = self._plan(claimed)
        try:
            sha = push_files(self._target, branch, files, _message(claimed))
        except GitOpsFailed as failed:
            log.warning("hand-off %d of %s failed: %s", claimed.id, claimed.service, failed)
            self._finish(claimed, {"status": FAILED, "last_error": str(failed),
                                   "next_attempt_at": now + self._lease}, now=now)  # fmt: skip
            return True
        result = {"status": HANDED_OFF, "branch": branch, "commit_sha": sha,
                  "path": next(iter(files)), "last_error": None}  # fmt: skip
        self._finish(claimed, result, now=now)
        return True

    def _claim(self, handoff_id: int, now: datetime) -> Claimed | None:
        """Compare-and-set to `pushing` with a lease; None when not due or someone has it."""
        attempt = Attempt("handoff_claim", "approver", ("config_change", NO_ID))
        return self._guard.run(
            HANDOFF_ACTOR,
            attempt,
            now=now,
            change=lambda s: _claim_row(s, handoff_id, now, self._lease),
        )

    def _finish(self, claimed: Claimed, result: dict[str, Any], *, now: datetime) -> None:
        attempt = Attempt("handoff", "approver", ("recommendation", claimed.recommendation_id or 0))
        self._guard.run(
            HANDOFF_ACTOR,
            attempt,
            now=now,
            change=lambda s: _record_result(s, claimed, result, now),
        )

    def _plan(self, claimed: Claimed) -> tuple[str, dict[str, str]]:
        """The branch and the files: the patch (or VM change) first, then the evidence."""
        subject = claimed.recommendation_id or f"change-{claimed.change_id}"
        suffix = "-rollback" if claimed.action == "rollback" else ""
        branch = _UNSAFE_REF.sub("-", f"{self._prefix}{claimed.service}-{subject}{suffix}")
        folder = "/".join(p for p in (self._folder, claimed.service) if p)
        change = "patch.yaml" if claimed.target == "kubernetes" else "instance-type-change.md"
        evidence = f"{folder}/recommendation-{subject}-{claimed.action}"
        files = {
            f"{folder}/{change}": claimed.manifest,
            f"{evidence}.md": markdown(claimed.evidence, claimed.manifest, change),
            f"{evidence}.json": json.dumps(claimed.evidence, indent=2, sort_keys=True) + "\n",
        }
        return branch.removesuffix(".lock"), files


def _due(now: datetime) -> Any:
    return (
        HandoffRow.status.in_((PENDING, FAILED, PUSHING))
        & HandoffRow.next_attempt_at.is_not(None)
        & (HandoffRow.next_attempt_at <= now)
    )


def _claim_row(
    session: Session, handoff_id: int, now: datetime, lease: timedelta
) -> Claimed | None:
    claimed = session.execute(
        update(HandoffRow)
        .where(HandoffRow.id == handoff_id, _due(now))
        .values(
            status=PUSHING,
            attempts=HandoffRow.attempts + 1,
            next_attempt_at=now + lease,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return None
    row = session.get_one(HandoffRow, handoff_id)
    session.refresh(row)
    return Claimed(row.id, row.change_id, row.recommendation_id, row.action, row.target,
                   row.service, row.manifest, dict(row.evidence))  # fmt: skip


def _record_result(
    session: Session, claimed: Claimed, result: dict[str, Any], now: datetime
) -> None:
    """The result on the row, if this round still holds it, and its audit event."""
    row = session.get_one(HandoffRow, claimed.id)
    if row.status != PUSHING:
        return  # someone else's round finished it meanwhile (both pushes are the same)
    before = {"status": row.status, "commit_sha": row.commit_sha}
    values = {"next_attempt_at": None, **result, "updated_at": now}
    for name, value in values.items():
        setattr(row, name, value)
    record_event(
        session, actor=HANDOFF_ACTOR, action="handoff",
        target=("recommendation", claimed.recommendation_id)
        if claimed.recommendation_id is not None else ("config_change", claimed.change_id),
        before=before,
        after={"status": row.status, "commit_sha": row.commit_sha, "branch": row.branch},
        detail={"handoff_id": row.id, "change_id": row.change_id, "action": row.action,
                "attempts": row.attempts, "error": row.last_error},
        now=now,
    )  # fmt: skip


def _message(claimed: Claimed) -> str:
    found = claimed.evidence
    savings = (found.get("predicted_savings") or {}).get("monthly_savings_usd")
    title = f"Tightrope {claimed.action}: {found.get('service', claimed.service)}"
    if claimed.recommendation_id is not None:
        title += f" (recommendation {claimed.recommendation_id})"
    return "\n".join([
        title, "",
        f"Approved by {found.get('approved_by')} at {found.get('approved_at')}.",
        f"Predicted savings: {savings} {found.get('currency', 'USD')}/month." if savings
        is not None else "No savings figure (a change without a recommendation).",
        "Tightrope changed nothing in the cluster or the cloud: merging this is the change.",
    ])  # fmt: skip
