"""After every kind of state change every page renders and the same figures agree wherever they
are shown (issue 13: numbers an analyst can trust), on SQLite; the walk: tests/support/page_walk.py.
"""

from __future__ import annotations

import pytest

from tests.support.page_walk import run_walks, seed_template


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_page_agrees_after_every_kind_of_state_change(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_walks(seed_template(database_url), monkeypatch)
