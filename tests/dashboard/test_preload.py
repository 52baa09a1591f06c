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
from data.models.base import Base
from streamlit import delta_generator
print(json.dumps({
    "count": count,
    "modules": sorted(sys.modules),
    "mappers_configured": all(m.configured for m in Base.registry.mappers),
    "use_warning_checked": delta_generator._use_warning_has_been_displayed,
}))
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


def test_preload_does_what_the_first_script_run_did_once_per_process() -> None:
    """The ORM mapped, Pillow (the page icon) imported, and Streamlit's check for a script run
    outside `streamlit run` (an inspect.stack() walk) marked done: none of it waits for the
    first visit. A Streamlit without that flag fails here rather than slowing the first visit
    unnoticed."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )

    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["mappers_configured"] is True
    assert found["use_warning_checked"] is True
    assert "PIL.Image" in found["modules"]


FIRST_VISITS = """
import json, sys
from dashboard.preload import preload
preload()
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("dashboard/streamlit_app.py", default_timeout=120)
before = set(sys.modules)
at.run()
for page in ("service_detail", "recommendations", "services"):
    at.switch_page(f"app_pages/{page}.py").run()
assert not at.exception, [e.message for e in at.exception]
new = set(sys.modules) - before
print(json.dumps(sorted(m for m in new if not m.startswith("dashboard.app_pages."))))
"""


def test_the_first_visits_import_nothing_the_preload_did_not(recommended_database: str) -> None:
    """Overview, Service detail, Recommendations and Services run after preload() import no
    module (but their own scripts): whatever a first visit would import is imported before the
    server listens (a Streamlit, plotly or pandas upgrade that adds a lazy import fails here)."""
    done = subprocess.run(
        [sys.executable, "-c", FIRST_VISITS],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
