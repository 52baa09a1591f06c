"""The page walk: a generated sequence of every kind of state change, every page checked after each.

Steps, in the order Hypothesis draws them: apply, reject, postpone, roll back, bulk apply,
ingest a FOCUS delivery, and advance the clock (the sidecar's demo feeds then append usage and
restate month-to-date costs, so a day in progress appears). After each step, every page is
rendered with AppTest and checked (tests/dashboard/page_invariants.py). Bounded: a few short
walks per database. One test file per database (tests/dashboard/test_page_invariants*.py), so
pytest-xdist's per-file scheduling runs the SQLite and PostgreSQL walks on different workers.
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
import streamlit as st
from hypothesis import HealthCheck, settings
from hypothesis import strategies as strat
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from data.api_key_actions import ApiKeyDesk
from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.connectors.demo.live import extend_demo_usage
from data.connectors.demo.live_costs import refresh_demo_costs
from data.connectors.focus import AllocationRules, ingest_file
from data.db import make_engine, make_sessions
from data.errors import DataError
from data.models import ConfigChangeRow, RecommendationRow, ServiceRow
from data.settings import Settings
from data.workflow import Workflow, WorkflowPolicy
from engine.profiles import PROFILES
from jobs.recompute import recompute
from tests.conftest import _admin_execute
from tests.connectors.focus.builders import csv_bytes, focus_row
from tests.dashboard import page_invariants

SEED, SERVICES, DAYS = 42, 10, 35
DEMO_END = datetime(2026, 11, 26, tzinfo=UTC)
ACTOR = "local-admin"


class PageWalk(RuleBasedStateMachine):
    """One walk on a fresh copy of the seeded database."""

    template_url: ClassVar[str]
    monkeypatch: ClassVar[pytest.MonkeyPatch]

    def __init__(self) -> None:
        super().__init__()
        self.url = _clone(self.template_url)
        self.engine = make_engine(Settings(database_url=self.url, _env_file=None))
        self.sessions = make_sessions(self.engine)
        self.flow = Workflow(self.sessions, WorkflowPolicy())
        self.now = DEMO_END + timedelta(hours=1)
        self.deliveries = 0
        self.monkeypatch.setenv("TIGHTROPE_DATABASE_URL", self.url)
        # The pages act as the walk's actor, an admin: the API keys page's create and revoke
        # need that role, every other page's actions less.
        self.monkeypatch.setenv("TIGHTROPE_LOCAL_ACTOR", ACTOR)
        self.monkeypatch.setenv("TIGHTROPE_ROLES", f'{{"{ACTOR}": "admin"}}')

    def teardown(self) -> None:
        self.engine.dispose()
        _drop(self.url)

    @precondition(lambda self: self._open())
    @rule(data=strat.data(), action=strat.sampled_from(["apply", "reject", "postpone"]))
    def decide(self, data: strat.DataObject, action: str) -> None:
        rec_id, version = data.draw(strat.sampled_from(self._open()))
        calls = {
            "apply": lambda: self.flow.apply(ACTOR, rec_id, expected_version=version, now=self.now),
            "reject": lambda: self.flow.reject(
                ACTOR, rec_id, expected_version=version, reason="walk", now=self.now
            ),
            "postpone": lambda: self.flow.postpone(
                ACTOR,
                rec_id,
                expected_version=version,
                until=self.now + timedelta(days=3),
                now=self.now,
            ),
        }
        _refusal_is_fine(calls[action])

    @precondition(lambda self: self._applied_changes())
    @rule(data=strat.data())
    def roll_back(self, data: strat.DataObject) -> None:
        change_id = data.draw(strat.sampled_from(self._applied_changes()))
        _refusal_is_fine(lambda: self.flow.rollback(ACTOR, change_id, now=self.now, reason="walk"))

    @precondition(lambda self: len(self._open()) >= 2)
    @rule(count=strat.integers(2, 3))
    def bulk_apply(self, count: int) -> None:
        chosen = dict(self._open()[:count])
        _refusal_is_fine(lambda: self.flow.bulk_apply(ACTOR, chosen, now=self.now))

    @rule(usd_per_day=strat.sampled_from(["12.34", "0.01", "250.00"]), days=strat.integers(1, 5))
    def ingest_delivery(self, usd_per_day: str, days: int) -> None:
        """A new billing account's FOCUS file charging one service on the last complete days."""
        self.deliveries += 1
        with self.sessions() as session:
            slug = session.scalars(select(ServiceRow.slug).order_by(ServiceRow.id)).first()
        last = self.now.date() - timedelta(days=1)
        rows = [_charge(slug or "x", last - timedelta(days=d), usd_per_day, self.deliveries)
                for d in range(days)]  # fmt: skip
        ingest_file(self.sessions, csv_bytes(rows), source="upload", rules=AllocationRules(),
                    now=self.now, name=f"walk-{self.deliveries}.csv")  # fmt: skip

    @rule(hours=strat.sampled_from([1, 5, 13, 30]))
    def advance_clock(self, hours: int) -> None:
        """Time passes; the sidecar's demo feeds append usage and restate month-to-date costs."""
        self.now += timedelta(hours=hours)
        until = self.now.replace(minute=0, second=0, microsecond=0)
        catalog = load_catalog()
        extend_demo_usage(self.sessions, catalog, seed=SEED, n_services=SERVICES, until=until)
        refresh_demo_costs(self.sessions, catalog, seed=SEED, n_services=SERVICES, until=until)

    @invariant()
    def every_page_renders_and_agrees(self) -> None:
        self.monkeypatch.setenv("TIGHTROPE_CLOCK_FIXED_AT", self.now.isoformat())
        st.cache_data.clear()
        st.cache_resource.clear()  # settings (and so the clock) are read again
        page_invariants.check_all(self.sessions, now=self.now)

    def _open(self) -> list[tuple[int, int]]:
        with self.sessions() as session:
            rows = session.execute(
                select(RecommendationRow.id, RecommendationRow.version)
                .where(RecommendationRow.status == "open")
                .order_by(RecommendationRow.id)
            )
            return [(int(i), int(v)) for i, v in rows]

    def _applied_changes(self) -> list[int]:
        with self.sessions() as session:
            query = select(ConfigChangeRow.id).where(ConfigChangeRow.status == "applied")
            return [int(i) for i in session.scalars(query.order_by(ConfigChangeRow.id))]


def seed_template(database_url: str) -> str:
    """The demo fleet (10 services × 35 days, costs through FOCUS) after one recompute; every
    walk starts from its own copy of this database."""
    engine = make_engine(Settings(database_url=database_url, _env_file=None))
    sessions = make_sessions(engine)
    seed_demo_fleet(sessions, load_catalog(), seed=SEED, n_services=SERVICES, days=DAYS,
                    end=DEMO_END)  # fmt: skip
    recompute(sessions, load_catalog(), profile=PROFILES["balanced"], now=DEMO_END)
    keys = ApiKeyDesk(
        sessions, WorkflowPolicy()
    )  # one key in use, one revoked: the list shows both
    keys.create(ACTOR, name="walk-ci", role="approver", now=DEMO_END)
    keys.create(ACTOR, name="walk-old", role="viewer", now=DEMO_END)
    keys.revoke(ACTOR, name="walk-old", now=DEMO_END)
    engine.dispose()
    return database_url


def run_walks(template_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three derandomized walks of four steps, each on a fresh clone of the template."""
    PageWalk.template_url = template_url
    PageWalk.monkeypatch = monkeypatch
    run_state_machine_as_test(
        PageWalk,
        settings=settings(
            max_examples=3, stateful_step_count=4, deadline=None, derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )  # fmt: skip


def _charge(slug: str, day: Any, usd: str, account: int) -> dict[str, Any]:
    return focus_row(
        BillingAccountId=f"walk-{account:04d}",
        BillingPeriodStart=f"{day:%Y-%m}-01T00:00:00Z",
        BillingPeriodEnd=f"{_next_month(day):%Y-%m}-01T00:00:00Z",
        ChargePeriodStart=f"{day:%Y-%m-%d}T00:00:00Z",
        ChargePeriodEnd=f"{day + timedelta(days=1):%Y-%m-%d}T00:00:00Z",
        BilledCost=usd, EffectiveCost=usd, ListCost=usd, ContractedCost=usd,
        Tags=f'{{"service": "{slug}"}}',
    )  # fmt: skip


def _next_month(day: Any) -> Any:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _refusal_is_fine(call: Any) -> None:
    """A refused action (drift, conflict, cap) is a normal outcome: pages must survive both."""
    with contextlib.suppress(DataError):
        call()


def _clone(url: str) -> str:
    if url.startswith("sqlite"):
        source = Path(url.removeprefix("sqlite:///"))
        target = source.with_name(f"walk-{uuid.uuid4().hex[:8]}.db")
        shutil.copyfile(source, target)
        return f"sqlite:///{target}"
    server, name = url.rsplit("/", 1)
    clone = f"{name}_w{uuid.uuid4().hex[:6]}"
    _admin_execute(server, f'CREATE DATABASE "{clone}" TEMPLATE "{name}"')
    return f"{server}/{clone}"


def _drop(url: str) -> None:
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return
    server, name = url.rsplit("/", 1)
    _admin_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
