"""The server imports the pages' modules before it listens (dashboard.preload), so the first
visit after a start does not pay them; no page script runs and nothing warns."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from dashboard.preload import preload
count = preload()
print(json.dumps({"count": count, "modules": sorted(sys.modules)}))
"""


def test_preload_imports_what_the_pages_use_and_no_page_script() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )

    found = json.loads(done.stdout.strip().splitlines()[-1])
    modules = set(found["modules"])
    assert found["count"] > 40
    assert {
        "dashboard.queries.fleet",
        "dashboard.queries.budgets",
        "dashboard.components.charts",
        "data.repos.service_views",
        "data.repos.budget_status",
        "pandas",
        "plotly.graph_objects",
    } <= modules
    assert not {m for m in modules if m.startswith("dashboard.app_pages.")}
    assert "dashboard.streamlit_app" not in modules
    assert "dashboard.queries.simulator" not in modules
    assert "No runtime found" not in done.stderr
