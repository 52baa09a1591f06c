"""Benchmark: seed the 150-service × 90-day demo fleet into a fresh SQLite file."""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

# `make bench` runs this file directly: put the repository root on the import path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data.catalog import load_catalog
from data.connectors.demo import seed_demo_fleet
from data.db import make_engine, make_sessions
from data.migrate import upgrade
from data.settings import Settings

SEED = 42
N_SERVICES = 150
DAYS = 90
END = datetime(2026, 11, 1, tzinfo=UTC)
BUDGET_S = 60.0


def main() -> int:
    catalog = load_catalog()
    with tempfile.TemporaryDirectory(prefix="tightrope-bench-") as directory:
        settings = Settings(database_url=f"sqlite:///{directory}/bench.db", _env_file=None)
        engine = make_engine(settings)
        upgrade(engine)
        started = time.perf_counter()
        report = seed_demo_fleet(
            make_sessions(engine), catalog, seed=SEED, n_services=N_SERVICES, days=DAYS, end=END
        )
        wall_s = time.perf_counter() - started
        engine.dispose()
    rows = report.usage_rows + report.cost_rows
    write_s = report.seconds - report.generation_seconds
    print(f"seed {N_SERVICES} services × {DAYS} days into SQLite: {wall_s:.2f} s wall")
    print(f"  rows: {report.usage_rows:,} usage + {report.cost_rows:,} cost = {rows:,}")
    print(f"  throughput: {rows / report.seconds:,.0f} rows/s overall")
    print(
        f"  generation {report.generation_seconds:.2f} s "
        f"({report.generation_seconds / report.seconds:.0%}), database writes {write_s:.2f} s "
        f"({write_s / report.seconds:.0%}, {rows / write_s:,.0f} rows/s)"
    )
    print(f"  budget {BUDGET_S:.0f} s: {'ok' if wall_s <= BUDGET_S else 'OVER'}")
    return 0 if wall_s <= BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
