"""The preload freezes what the imports made out of the cyclic collector (dashboard.preload):
a full collection during a first visit no longer walks the imported modules' objects."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import gc, json
before = gc.get_freeze_count()
from dashboard.preload import preload
preload()
tracked = len(gc.get_objects())
print(json.dumps({"before": before, "frozen": gc.get_freeze_count(), "tracked": tracked}))
"""


def test_preload_leaves_the_collector_only_what_comes_after() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )

    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["before"] == 0
    assert found["frozen"] > 100_000  # pandas, plotly, SQLAlchemy, the repositories, the engine
    assert found["tracked"] < found["frozen"] / 10  # what the collector still walks
