"""PostgreSQL owner and app roles: `migrate` runs as the owner and grants the app role DML, but
only INSERT/SELECT on audit_event, so the app cannot rewrite the trail or lift its guards."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from data.audit_cli import verify_chain
from data.db import make_engine, make_sessions
from data.errors import DataError
from data.migrate import grant_app_role
from data.repos.audit import record_event
from data.settings import Settings
from tests.data.workflow.world import NOW, add_open_rec, audit_rows, make_flow
from tests.support.databases import admin_execute, data_command, empty_database, login_roles, url_as

pytestmark = pytest.mark.postgres


@dataclass(frozen=True)
class Deployment:
    owner_role: str
    owner_url: str
    app_url: str
    app_role: str


@pytest.fixture(scope="module")
def deployment(postgres_server_url: str) -> Iterator[Deployment]:
    """An empty database owned by the owner role, migrated by a real `python -m data migrate`
    as the owner, with the app role granted."""
    with (
        login_roles(postgres_server_url, "tr_owner", "tr_app") as (owner, app),
        empty_database(postgres_server_url, owner=owner) as database,
    ):
        found = Deployment(
            owner,
            url_as(postgres_server_url, database, owner),
            url_as(postgres_server_url, database, app),
            app,
        )
        migrate = data_command("migrate", env=_env(found))
        _, stderr = migrate.communicate(timeout=300)
        assert migrate.returncode == 0, stderr
        yield found


@pytest.fixture
def app_engine(deployment: Deployment) -> Iterator[Engine]:
    engine = make_engine(Settings(database_url=deployment.app_url, _env_file=None))
    yield engine
    engine.dispose()


def _env(deployment: Deployment) -> dict[str, str]:
    return {
        "TIGHTROPE_DATABASE_URL": deployment.app_url,
        "TIGHTROPE_MIGRATE_DATABASE_URL": deployment.owner_url,
        "TIGHTROPE_DATABASE_APP_ROLE": deployment.app_role,
    }


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
        "ALTER TABLE audit_event DISABLE TRIGGER USER",
        "DROP TRIGGER audit_event_append_only ON audit_event",
        "UPDATE audit_event SET actor = 'mallory'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
        "DROP TABLE audit_event",
        "ALTER TABLE audit_event ADD COLUMN note text",
        "CREATE TABLE shadow (id int)",
        "UPDATE alembic_version SET version_num = '0001'",
    ],
)
def test_the_app_role_cannot_rewrite_the_trail_or_change_the_schema(
    app_engine: Engine, statement: str
) -> None:
    refused = pytest.raises(DBAPIError, match=r"permission denied|must be owner")
    with refused, app_engine.begin() as connection:
        connection.execute(text(statement))


def test_the_app_role_appends_and_reads_audit_events(app_engine: Engine) -> None:
    sessions = make_sessions(app_engine)
    before = verify_chain(app_engine).events

    with sessions.begin() as session:
        record_event(
            session, actor="ana", action="acknowledge", target=("cost_anomaly", 1),
            before=None, after={"acknowledged": True}, detail={}, now=NOW,
        )  # fmt: skip

    report = verify_chain(app_engine)
    assert (report.events, report.broken) == (before + 1, None)


def test_the_app_role_does_the_workflows_writes(app_engine: Engine) -> None:
    sessions = make_sessions(app_engine)
    rec = add_open_rec(sessions, "svc-roles")

    outcome = make_flow(sessions).apply("apu", rec.id, expected_version=rec.version, now=NOW)
    make_flow(sessions).rollback("apu", outcome.change_id or 0, now=NOW)

    actions = [e.action for e in audit_rows(sessions) if e.target_type != "cost_anomaly"]
    assert actions == ["apply", "rollback"]
    assert verify_chain(app_engine).broken is None


def test_migrate_again_keeps_the_grants(deployment: Deployment, app_engine: Engine) -> None:
    again = data_command("migrate", env=_env(deployment))
    _, stderr = again.communicate(timeout=300)

    assert again.returncode == 0, stderr
    assert "nothing to migrate" in stderr
    with pytest.raises(DBAPIError, match="permission denied"), app_engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event"))


@pytest.mark.parametrize("role", ["postgres", "owner's member"])
def test_grant_refuses_a_role_that_could_lift_the_guards(
    deployment: Deployment, postgres_server_url: str, role: str
) -> None:
    owner_engine = make_engine(Settings(database_url=deployment.owner_url, _env_file=None))
    with login_roles(postgres_server_url, "tr_member") as (member,):
        if role != "postgres":
            admin_execute(postgres_server_url, f'GRANT "{deployment.owner_role}" TO "{member}"')
        grantee = "postgres" if role == "postgres" else member

        with pytest.raises(DataError, match="superuser or holds"), owner_engine.begin() as c:
            grant_app_role(c, grantee)

    owner_engine.dispose()
