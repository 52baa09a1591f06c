"""Cached reads and the data version: one version read per page run, and a write shows at once."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy.orm import Session

from dashboard import deps
from data.repos import services
from data.repos.data_version import DataVersion, data_version
from tests.dashboard.conftest import NOW, metric_values, open_page, sessions_on
from tests.factories import make_new_service


def _counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[DataVersion]:
    reads: list[DataVersion] = []

    def counted(session: Session) -> DataVersion:
        reads.append(data_version(session))
        return reads[-1]

    monkeypatch.setattr(deps, "data_version", counted)
    return reads


def test_a_page_run_reads_the_data_version_once(
    seeded_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = _counting_reads(monkeypatch)

    open_page("app_pages/overview.py")  # two runs: the default page, then the switch

    assert len(reads) == 2


def test_a_service_added_behind_the_pages_back_shows_at_the_next_run(
    seeded_database: str,
) -> None:
    at = open_page("app_pages/overview.py")
    before = metric_values(at)["Services"][0]
    for sessions in sessions_on(seeded_database):
        with sessions.begin() as session:
            services.add_services(session, [make_new_service("late")], now=NOW)

    at.run()

    assert (before, metric_values(at)["Services"][0]) == ("3", "4")


def test_a_write_in_a_run_makes_the_rest_of_that_run_read_the_moved_version(
    seeded_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = _counting_reads(monkeypatch)
    run = SimpleNamespace(cursors={})  # one script run's context, as deps tells runs apart
    monkeypatch.setattr(deps, "get_script_run_ctx", lambda suppress_warning=False: run)
    before = deps.current_data_version()
    for sessions in sessions_on(seeded_database):
        with sessions.begin() as session:  # an action's write, at the start of the run
            services.add_services(session, [make_new_service("late")], now=NOW)
    remembered = deps.current_data_version()

    deps.data_changed()  # what the actions call after their write, instead of clearing caches

    assert remembered == before
    assert deps.current_data_version() != before
    assert len(reads) == 2
