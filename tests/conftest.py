"""Shared fixtures: settings, databases (SQLite and a throwaway PostgreSQL), migrated engines."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Generator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from data.db import make_engine, make_sessions
from data.migrate import upgrade
from data.settings import Settings
from tests.support.block_cache import cache_root_for, cached_backfill
from tests.support.kube_prometheus import KubePrometheus, kube_prometheus_server
from tests.support.postgres import postgres_bin_dir, throwaway_cluster
from tests.support.prometheus import History, binaries, prometheus_server
from tests.support.prometheus_history import demo_services, write_openmetrics
from tests.support.tiers import UNAVAILABLE_REASONS, in_ci, unavailable

# Records which test files see the wall clock (make test) for the faketime pass (make test-time).
pytest_plugins = ("tests.support.clock_reads", "pytester")

BACKENDS = ("sqlite", "postgresql")

# No per-example deadline anywhere: a shared 2-core machine under load takes seconds for what a
# quiet one does in milliseconds (speed is measured by bench/, never by a test). In CI the
# examples are derandomized, so a red run replays the same way, and bounded, so CI time is too.
hypothesis_settings.register_profile(
    "ci", deadline=None, max_examples=50, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
hypothesis_settings.register_profile(
    "dev", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if in_ci() else "dev"))


@pytest.fixture(autouse=True)
def _main_module_restored() -> Iterator[None]:
    """Put back the process's `__main__` after every test.

    Why: Streamlit's script runner (which AppTest runs in this process) installs the page
    script as `sys.modules["__main__"]` and leaves it there, and a later test in the same
    worker that starts processes by spawn or forkserver (the Dask local cluster, the
    dashboard's pool) has them re-import the parent's main module: the page, which dies
    without a server."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL server: TIGHTROPE_TEST_DATABASE_URL's, else one we start from the binaries."""
    given = os.environ.get("TIGHTROPE_TEST_DATABASE_URL")
    if given:
        yield given.rsplit("/", 1)[0]
        return
    bin_dir = postgres_bin_dir()
    if bin_dir is None or shutil.which("runuser") is None:
        unavailable(
            "PostgreSQL binaries (/usr/lib/postgresql/*/bin) are not installed (apt-get install "
            "postgresql, or TIGHTROPE_TEST_DATABASE_URL=postgresql+psycopg2://user@host:5432/db)"
        )
    assert bin_dir is not None
    with throwaway_cluster(bin_dir) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_template(postgres_server_url: str) -> Iterator[str]:
    """A database migrated to head once per session, cloned for each test."""
    name = f"tightrope_tpl_{uuid.uuid4().hex[:8]}"
    _admin_execute(postgres_server_url, f'CREATE DATABASE "{name}"')
    engine = make_engine(Settings(database_url=f"{postgres_server_url}/{name}"))
    upgrade(engine)
    engine.dispose()
    yield name
    _admin_execute(postgres_server_url, f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    engine = make_engine(Settings(database_url=f"sqlite:///{path}"))
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh migrated database per test, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "tightrope.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("postgres_server_url")
    template_name = request.getfixturevalue("postgres_template")
    name = f"tightrope_t_{uuid.uuid4().hex[:10]}"
    _admin_execute(server, f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    yield f"{server}/{name}"
    _admin_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, _env_file=None)


@pytest.fixture
def db_engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(db_engine: Engine) -> sessionmaker[Session]:
    return make_sessions(db_engine)


PROMETHEUS_HISTORY_END = datetime(2026, 10, 1, tzinfo=UTC)
PROMETHEUS_HISTORY_DAYS = 14


@pytest.fixture(scope="session")
def prometheus_history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    """Debian prometheus on a free loopback port holding 14 days of generated history, started
    once per session; skips locally (fails in CI) without the binaries."""
    prometheus, promtool = binaries()
    services = demo_services(PROMETHEUS_HISTORY_DAYS * 24)
    base = tmp_path_factory.mktemp("prometheus")
    start = PROMETHEUS_HISTORY_END - timedelta(days=PROMETHEUS_HISTORY_DAYS)
    cache_root = cache_root_for(tmp_path_factory.getbasetemp())
    cached_backfill(
        promtool, base / "tsdb", cache_root, write_openmetrics, services=services, start=start
    )
    with prometheus_server(prometheus, base / "tsdb") as url:
        yield History(url, services, PROMETHEUS_HISTORY_END, PROMETHEUS_HISTORY_DAYS)


@pytest.fixture(scope="session")
def kube_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubePrometheus]:
    """Debian prometheus holding 3 days of a generated Kubernetes cluster (kube-state-metrics
    and cAdvisor), started once per session; skips locally (fails in CI) without it."""
    base = tmp_path_factory.mktemp("kube-prometheus")
    cache_root = cache_root_for(tmp_path_factory.getbasetemp())
    with kube_prometheus_server(base, cache_root=cache_root) as server:
        yield server


def _admin_execute(server_url: str, statement: str) -> None:
    url = make_url(f"{server_url}/postgres")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(statement))
    admin.dispose()


TIERS = ("postgres", "browser", "prometheus", "prometheus_tls", "victoriametrics")
_tier_outcomes: dict[str, dict[str, int]] = {tier: {} for tier in TIERS}
# Tiers by node id, from markers only: report.keywords also holds directory names, which
# counted every unit test under tests/connectors/prometheus as a real-server test.
_tiers_of: dict[str, tuple[str, ...]] = {}
# Per tier, why its tests were skipped for a missing server or binary (not skips on purpose).
_tiers_missing: dict[str, set[str]] = {tier: set() for tier in TIERS}
_reported: set[str] = set()  # node ids whose outcome was logged (collected here or on a worker)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests parametrized onto PostgreSQL carry the `postgres` marker (for -m and the summary)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)
        _tiers_of[item.nodeid] = tuple(t for t in TIERS if item.get_closest_marker(t))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Carry the test's tiers, and whether a skip was for a missing server or binary, on the
    report itself: under pytest-xdist only the workers collect and skip, the controller counts."""
    report: pytest.TestReport = yield
    # A new list: the report's is the item's own, shared by its setup, call and teardown.
    extra: list[tuple[str, object]] = [("tiers", _tiers_of.get(item.nodeid, ()))]
    if report.skipped and _skip_reason(report) in UNAVAILABLE_REASONS:
        extra.append(("unavailable", _skip_reason(report)))
    report.user_properties = [*report.user_properties, *extra]
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" and not (report.when == "setup" and report.outcome != "passed"):
        return
    properties = dict(report.user_properties)
    _reported.add(report.nodeid)
    tiers: Sequence[str] = properties.get("tiers", ())  # type: ignore[assignment]
    for tier in tiers:
        counts = _tier_outcomes[tier]
        counts[report.outcome] = counts.get(report.outcome, 0) + 1
        if "unavailable" in properties:
            _tiers_missing[tier].add(str(properties["unavailable"]))


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Print, after pytest's own summary, how many tests of each real-server tier ran (so a CI
    log proves they were not skipped) and why a tier could not run, then one
    closing line with the whole suite's counts."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or hasattr(config, "workerinput") or not (_tiers_of or _reported):
        return
    reporter.write_sep("=", "tiers that need real servers")
    for tier in TIERS:
        reporter.write_line(_tier_line(tier))
    stats = {key: len(reporter.stats.get(key, ())) for key in ("passed", "failed", "skipped")}
    failed = stats["failed"] + len(reporter.stats.get("error", ()))
    reporter.write_line(
        f"suite: {stats['passed']} passed, {failed} failed, {stats['skipped']} skipped"
    )


def _tier_line(tier: str) -> str:
    counts = _tier_outcomes[tier]
    summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "none ran"
    if _tiers_missing[tier]:
        summary += f" (skipped because: {'; '.join(sorted(_tiers_missing[tier]))})"
    return f"{tier}: {summary}"
