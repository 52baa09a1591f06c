"""The page walk of test_page_invariants.py on PostgreSQL: its own file, so pytest-xdist
(--dist loadfile) runs it on one worker while the SQLite walk runs on the other (decision 027).
"""

from __future__ import annotations

import pytest

from tests.support.page_walk import run_walks, seed_template


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_every_page_agrees_after_every_kind_of_state_change(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_walks(seed_template(database_url), monkeypatch)
