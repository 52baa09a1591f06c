"""The Data sources page's Kubernetes discovery section, with AppTest."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from dashboard.components.data_sources.kubernetes import NOT_YET, summary_text
from data.connectors.kube.specs import Skipped
from data.repos.kube_summary import DiscoverySummary, save_summary
from tests.dashboard.conftest import NOW, open_page, sessions_on

PAGE = "app_pages/data_sources.py"
HOSTILE = "**bold** [click](http://evil.example) <b>x</b>"


@pytest.fixture
def db(empty_database: str) -> Iterator[sessionmaker[Session]]:
    yield from sessions_on(empty_database)


def _discovered(db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        save_summary(
            session,
            ran_at=NOW - timedelta(minutes=10),
            window_s=24 * 3600,
            found={"Deployment": 53, "StatefulSet": 1},
            nodes=["m5.xlarge", "m5.xlarge", "m5.2xlarge"],
            changes={"created": 54, "retired": 0},
            skipped=[
                Skipped("pod", "platform", "debug-shell", "no owning controller"),
                Skipped("workload", HOSTILE, "Rollout/canary", f"owner kind {HOSTILE}"),
            ],
        )


def _open() -> AppTest:
    at = open_page(PAGE)
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_the_last_discovery_shows_kinds_nodes_and_skips_with_reasons(
    db: sessionmaker[Session],
) -> None:
    _discovered(db)

    at = _open()

    tables = {tuple(d.value.columns): d.value for d in at.dataframe}
    found = tables[("kind", "workloads")]
    assert dict(zip(found["kind"], found["workloads"], strict=True)) == {
        "Deployment": 53, "StatefulSet": 1}  # fmt: skip
    nodes = tables[("instance_type", "nodes")]
    assert dict(zip(nodes["instance_type"], nodes["nodes"], strict=True)) == {
        "m5.2xlarge": 1, "m5.xlarge": 2}  # fmt: skip
    skipped = tables[("what", "namespace", "name", "reason")]
    assert list(skipped["reason"]) == ["no owning controller", f"owner kind {HOSTILE}"]
    line = next(m.value for m in at.markdown if "Last run" in m.value)
    assert "54 workloads and 3 nodes found" in line
    assert "54 created" in line
    assert "2 items skipped" in line


def test_the_summary_line_escapes_stored_text() -> None:
    summary = DiscoverySummary(NOW, 3600, {}, {}, {HOSTILE: 1}, (), 0)

    line = summary_text(summary, now=NOW)

    assert "**bold**" not in line
    assert "\\*\\*bold\\*\\*" in line
    assert "](http" not in line


def test_before_any_discovery_the_section_says_how_to_run_it(db: sessionmaker[Session]) -> None:
    at = _open()

    assert NOT_YET in [i.value for i in at.info]
