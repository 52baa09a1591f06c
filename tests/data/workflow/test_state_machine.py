"""Hypothesis drives the workflow at random on SQLite and checks the audit and config invariants.

Invariants after every step: each state change wrote exactly one audit event; a refused action
changed nothing; replaying the audit trail's config before→after, and the config_change chain
(apply then rollback, in time order), from each service's first config gives its current one.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from data.db import make_engine, make_sessions
from data.errors import Conflict, DataError, Drifted, Forbidden, InvalidTransition
from data.guard import DENIED
from data.models import ConfigChangeRow, RecommendationRow
from data.repos.recommendations import save_recommendations
from data.settings import Settings
from data.workflow.states import DECIDABLE
from engine.capacity import CapacityConfig
from tests.data.workflow.world import (
    NOW,
    add_service,
    audit_rows,
    live,
    make_commitment_rec,
    make_flow,
    make_rec,
    snapshot,
)

SERVICES = 2
# Weighted towards actors who may act, so most steps change state rather than being refused.
ACTORS = ("root", "apu", "root", "ana", "vera")
RARELY = st.integers(0, 5).map(lambda n: n == 0)
CAN_CHANGE = ("apu", "root")
CAN_DECIDE = ("ana", "apu", "root")
Config = dict[str, Any]


class WorkflowMachine(RuleBasedStateMachine):
    template: ClassVar[Path]

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp())
        shutil.copyfile(self.template, self.folder / "db")
        url = f"sqlite:///{self.folder / 'db'}"
        self.engine = make_engine(Settings(database_url=url, _env_file=None))
        self.sessions = make_sessions(self.engine)
        self.flow = make_flow(self.sessions)
        self.now = NOW
        self.service_ids = [add_service(self.sessions, f"svc-{i}") for i in range(SERVICES)]
        self.first = {sid: live(self.sessions, sid) for sid in self.service_ids}
        self.state_changes = 0

    def teardown(self) -> None:
        self.engine.dispose()
        shutil.rmtree(self.folder)

    @rule(
        service=st.integers(0, SERVICES - 1),
        replicas=st.integers(0, 4),
        kind=st.sampled_from(["rightsize", "off_hours"]),
        stale=RARELY,
    )
    def propose(self, service: int, replicas: int, kind: str, stale: bool) -> None:
        """A recompute proposes a change, sometimes from a config that is no longer live."""
        sid = self.service_ids[service]
        current = live(self.sessions, sid)
        base = replace(current, zones=current.zones + 1) if stale else current
        rec = replace(make_rec(sid, base, replicas=replicas), kind=kind)  # type: ignore[arg-type]
        self._recompute(rec)

    @rule()
    def propose_commitment(self) -> None:
        self._recompute(make_commitment_rec())

    @precondition(lambda self: self._rec_ids())
    @rule(
        data=st.data(),
        action=st.sampled_from(["apply", "reject", "postpone"]),
        actor=st.sampled_from(ACTORS),
        stale_version=RARELY,
    )
    def decide(self, data: st.DataObject, action: str, actor: str, stale_version: bool) -> None:
        row = self._rec(data.draw(st.sampled_from(self._rec_ids())))
        version = row.version + int(stale_version)
        expected = self._decision_error(row, action, actor, version)
        now = self._tick()
        calls: dict[str, Callable[[], object]] = {
            "apply": lambda: self.flow.apply(actor, row.id, expected_version=version, now=now),
            "reject": lambda: self.flow.reject(
                actor, row.id, expected_version=version, reason="no", now=now
            ),
            "postpone": lambda: self.flow.postpone(
                actor, row.id, expected_version=version, until=now + timedelta(days=1), now=now
            ),
        }
        self._check(calls[action], expected, target=("recommendation", str(row.id)))

    @precondition(lambda self: self._changes())
    @rule(data=st.data(), actor=st.sampled_from(ACTORS))
    def rollback(self, data: st.DataObject, actor: str) -> None:
        change = data.draw(st.sampled_from(self._changes()))
        expected = self._rollback_error(change, actor)
        now = self._tick()
        self._check(
            lambda: self.flow.rollback(actor, change.id, now=now),
            expected,
            target=("config_change", str(change.id)),
        )

    @invariant()
    def one_audit_event_per_state_change(self) -> None:
        changes = [e for e in audit_rows(self.sessions) if e.action != DENIED]
        assert len(changes) == self.state_changes

    @invariant()
    def audit_trail_replays_to_the_live_configs(self) -> None:
        for sid in self.service_ids:
            steps = [
                (e.before["config"], e.after["config"])
                for e in audit_rows(self.sessions)
                if e.detail.get("service_id") == sid
                and e.before
                and e.before.get("config")
                and e.after
            ]
            assert _replay(self.first[sid], steps) == live(self.sessions, sid)

    @invariant()
    def change_chain_replays_to_the_live_configs(self) -> None:
        for sid in self.service_ids:
            steps = [(before, after) for _, before, after in sorted(self._change_steps(sid))]
            assert _replay(self.first[sid], steps) == live(self.sessions, sid)

    @invariant()
    def change_and_recommendation_agree(self) -> None:
        for change in self._changes():
            if change.recommendation_id is not None:
                assert self._rec(change.recommendation_id).status == change.status

    def _recompute(self, rec: Any) -> None:
        with self.sessions.begin() as session:
            report = save_recommendations(session, [rec], now=self._tick())
        self.state_changes += report.superseded  # system transitions are audited too

    def _check(
        self, call: Callable[[], object], expected: type[DataError] | None, target: tuple[str, str]
    ) -> None:
        before, events_before = snapshot(self.sessions), len(audit_rows(self.sessions))
        refused = _refusal(call)
        event(f"{target[0]}: {type(refused).__name__ if refused else 'done'}")
        if refused is not None:
            assert type(refused) is expected, f"{refused!r}, expected {expected}"
            assert snapshot(self.sessions) == before
            new = audit_rows(self.sessions)[events_before:]
            denied = [(DENIED, *target)] if expected is Forbidden else []  # only a role refusal
            assert [(e.action, e.target_type, e.target_id) for e in new] == denied
            return
        assert expected is None, f"succeeded, expected {expected}"
        new = audit_rows(self.sessions)[events_before:]
        # An apply also supersedes the service's other open proposals, one event each.
        decided = [(e.target_type, e.target_id) for e in new if e.action != "supersede"]
        assert decided == [target]
        assert all(e.actor == "system:workflow" for e in new if e.action == "supersede")
        self.state_changes += len(new)

    def _decision_error(
        self, row: RecommendationRow, action: str, actor: str, version: int
    ) -> type[DataError] | None:
        if actor not in (CAN_CHANGE if action == "apply" else CAN_DECIDE):
            return Forbidden
        if version != row.version:
            return Conflict
        if row.status not in DECIDABLE:
            return InvalidTransition
        drifted = row.service_id is not None and (
            CapacityConfig(**row.current_config) != live(self.sessions, row.service_id)
        )
        return Drifted if action == "apply" and drifted else None

    def _rollback_error(self, change: ConfigChangeRow, actor: str) -> type[DataError] | None:
        if actor not in CAN_CHANGE:
            return Forbidden
        if change.status != "applied":
            return InvalidTransition
        drifted = CapacityConfig(**change.after) != live(self.sessions, change.service_id)
        return Drifted if drifted else None

    def _change_steps(self, sid: int) -> Iterator[tuple[tuple[datetime, int], Config, Config]]:
        for change in self._changes():
            if change.service_id != sid:
                continue
            yield (change.applied_at, change.id), change.before, change.after
            if change.rolled_back_at is not None:
                yield (change.rolled_back_at, change.id), change.after, change.before

    def _tick(self) -> datetime:
        self.now += timedelta(minutes=5)
        return self.now

    def _rec_ids(self) -> list[int]:
        with self.sessions() as session:
            return list(
                session.scalars(select(RecommendationRow.id).order_by(RecommendationRow.id))
            )

    def _rec(self, recommendation_id: int) -> RecommendationRow:
        with self.sessions() as session:
            row = session.get(RecommendationRow, recommendation_id)
        assert row is not None
        return row

    def _changes(self) -> list[ConfigChangeRow]:
        with self.sessions() as session:
            return list(session.scalars(select(ConfigChangeRow).order_by(ConfigChangeRow.id)))


def _refusal(call: Callable[[], object]) -> DataError | None:
    try:
        call()
    except DataError as error:
        return error
    return None


def _replay(first: CapacityConfig, steps: list[tuple[Config, Config]]) -> CapacityConfig:
    """Walk before→after from `first`; each step must start where the previous one ended."""
    state = first
    for before, after in steps:
        assert CapacityConfig(**before) == state
        state = CapacityConfig(**after)
    return state


def test_workflow_state_machine(sqlite_template: Path) -> None:
    WorkflowMachine.template = sqlite_template
    run_state_machine_as_test(
        WorkflowMachine,
        settings=settings(
            max_examples=50,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
