"""Every grid shows a missing value as —, like the cards and text tables, not Streamlit's "None"."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.dashboard.conftest import open_page

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"
GRID_MODULE = DASHBOARD / "components" / "tables.py"


def _direct_grid_calls(path: Path) -> list[int]:
    """Lines calling `st.dataframe` / `st.data_editor` (or any `.dataframe(`) directly."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("dataframe", "data_editor")
    ]


def test_every_grid_goes_through_tables_grid() -> None:
    offenders = {
        str(path.relative_to(DASHBOARD)): lines
        for path in sorted(DASHBOARD.rglob("*.py"))
        if path != GRID_MODULE and (lines := _direct_grid_calls(path))
    }
    assert offenders == {}, "call dashboard.components.tables.grid instead"
    assert _direct_grid_calls(GRID_MODULE), "tables.grid no longer draws the grid"


@pytest.mark.usefixtures("recommended_database")
def test_an_empty_cost_increase_reads_as_a_dash_not_none() -> None:
    at = open_page("app_pages/recommendations.py")

    backlog = next(d for d in at.dataframe if "cost_increase" in d.value.columns)
    # The seeded fleet's savings proposals have no cost increase: exactly the cells at stake.
    assert backlog.value["cost_increase"].isna().any()
    assert {d.proto.placeholder for d in at.dataframe} == {"—"}
