"""Migrations: `upgrade head` builds exactly the models' schema, and downgrades cleanly."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from data.db import make_sessions
from data.migrate import downgrade, upgrade
from data.models import Base, RecommendationRow
from data.repos import services
from data.repos.recommendation_values import recommendation_values
from engine.recommendation import Money, Recommendation
from tests.factories import T0, make_new_service, make_vm_config


def test_upgrade_head_matches_the_models(db_engine: Engine) -> None:
    with db_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)

    assert differences == []


def test_downgrade_to_base_and_back_restores_every_table(db_engine: Engine) -> None:
    downgrade(db_engine, "base")
    emptied = set(inspect(db_engine).get_table_names()) - {"alembic_version"}

    upgrade(db_engine)

    assert emptied == set()
    assert set(Base.metadata.tables) <= set(inspect(db_engine).get_table_names())


APPEND_ONLY_TRIGGERS = {"audit_event_append_only", "audit_event_no_truncate"}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_0002_adds_and_removes_the_append_only_triggers(db_engine: Engine) -> None:
    at_head = _audit_triggers(db_engine)

    downgrade(db_engine, "0001")
    at_0001 = _audit_triggers(db_engine)
    upgrade(db_engine)

    assert (at_head, at_0001) == (APPEND_ONLY_TRIGGERS, set())
    assert _audit_triggers(db_engine) == APPEND_ONLY_TRIGGERS


def _audit_triggers(engine: Engine) -> set[str]:
    query = text(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_event'::regclass AND NOT tgisinternal"
    )
    with engine.connect() as connection:
        return set(connection.scalars(query))


def test_0007_gives_rows_the_proposal_key_and_supersedes_live_duplicates(
    db_engine: Engine,
) -> None:
    downgrade(db_engine, "0006")
    service_id = _service(db_engine)
    rightsize = _proposal(service_id, "rightsize")
    joint = _proposal(service_id, "joint")
    ids = _insert_0006(db_engine, [(rightsize, "open"), (joint, "postponed"), (joint, "rejected")])

    upgrade(db_engine)

    with db_engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, status, fingerprint, rule, version FROM recommendation ORDER BY id")
        ).all()
        events = connection.execute(
            text("SELECT actor, action, target_id FROM audit_event ORDER BY id")
        ).all()
    assert [(r.status, r.rule, r.version) for r in rows] == [
        ("superseded", "rightsize", 2),
        ("postponed", "joint", 1),  # a reviewer touched it: it stays
        ("rejected", "joint", 1),
    ]
    assert {r.fingerprint for r in rows} == {rightsize.key}
    assert events == [("system:migration-0007", "supersede", str(ids[0]))]


def test_0007_downgrade_restores_the_kind_fingerprints(db_engine: Engine) -> None:
    downgrade(db_engine, "0006")
    service_id = _service(db_engine)
    rec = _proposal(service_id, "rightsize")
    _insert_0006(db_engine, [(rec, "open")])
    upgrade(db_engine)

    downgrade(db_engine, "0006")

    with db_engine.connect() as connection:
        stored = connection.execute(text("SELECT fingerprint FROM recommendation")).scalar_one()
    assert stored == _kind_key(rec)


def _service(engine: Engine) -> int:
    with make_sessions(engine).begin() as session:
        (service,) = services.add_services(session, [make_new_service()], now=T0)
    return service.id


def _proposal(service_id: int, kind: str) -> Recommendation:
    return Recommendation(
        kind=kind,  # type: ignore[arg-type]
        outcome="recommend",
        reason="3 → 2 replicas",
        service_id=service_id,
        current=make_vm_config(),
        proposed=make_vm_config(replicas=2),
        cost_current=Money(210.24, 210.24),
        cost_proposed=Money(140.16, 140.16),
    )


def _insert_0006(engine: Engine, rows: list[tuple[Recommendation, str]]) -> list[int]:
    """Rows as the 0006 schema stored them: no rule column, the kind in the fingerprint."""
    table = sa.table(
        "recommendation",
        *(
            sa.column(c.name, c.type)
            for c in RecommendationRow.__table__.columns
            if c.name not in ("id", "rule")
        ),
    )
    ids: list[int] = []
    with make_sessions(engine).begin() as session:
        for rec, status in rows:
            values = {k: v for k, v in recommendation_values(rec).items() if k != "rule"}
            row = {
                **values, "service_id": rec.service_id, "scope": rec.scope, "status": status,
                "fingerprint": _kind_key(rec), "created_at": T0, "updated_at": T0, "version": 1,
                "decision_reason": None, "postponed_until": None, "suppressed_until": None,
                "decided_by": None, "decided_at": None,
            }  # fmt: skip
            session.execute(table.insert().values(**row))
            ids.append(len(ids) + 1)  # a fresh database numbers rows from 1
    return ids


def _kind_key(rec: Recommendation) -> str:
    """The fingerprint before 0007: sha256 of [service_id, scope, kind, proposed config]."""
    proposed = asdict(rec.proposed) if rec.proposed else None
    payload = json.dumps([rec.service_id, rec.scope, rec.kind, proposed], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]
