"""Test files longest first under pytest-xdist, so the two workers finish together (decision 027).

`make test` runs `--dist loadfile --no-loadscope-reorder -p tests.support.schedule`: a worker
takes whole files from one queue, in the order collection leaves them. pytest-xdist's own order
(most tests first) put the few-test, slow files (the page walks, the browser journeys) at the
end, where one worker ran them alone while the other had nothing left. Longest first (the LPT
rule) leaves only short files for the end. The seconds are a measurement, not a contract: a
file missing here (new, or renamed) is scheduled after the listed ones, most tests first, and
a stale figure costs only wall time. Refresh them from a run's JUnit report:
`.venv/bin/python -m pytest -n 2 --junitxml=/tmp/run.xml` then
`.venv/bin/python -m tests.support.schedule /tmp/run.xml`.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import defaultdict

import pytest

# Seconds per file (setup, call and teardown of its tests, 30 s and more) in one `make test` on
# 2026-12-07, with six other helpers on the 2 cores (load average 15-38: about 7x a quiet run's
# figures; only their order matters). The page walk was one file then: its 909 s are split here
# in the quiet run's PostgreSQL:SQLite proportion (184 s : 127 s).
FILE_SECONDS: dict[str, float] = {
    "tests/dashboard/test_page_invariants_postgres.py": 538,
    "tests/dashboard/test_browser_journey.py": 400,
    "tests/api/test_exports.py": 397,
    "tests/dashboard/test_page_invariants.py": 371,
    "tests/dashboard/test_browser_crawl.py": 289,
    "tests/data/test_billing_cli.py": 283,
    "tests/api/test_process.py": 267,
    "tests/dashboard/test_simulator_page.py": 260,
    "tests/jobs/test_container_recommendations_real.py": 258,
    "tests/connectors/kube/test_kube_discovery_real.py": 242,
    "tests/jobs/test_recompute_cluster.py": 220,
    "tests/api/test_simulation_runs.py": 219,
    "tests/connectors/kube/test_workload_stats_real.py": 214,
    "tests/dashboard/test_browser_simulator.py": 198,
    "tests/dashboard/test_auth_browser.py": 196,
    "tests/jobs/test_sidecar_hygiene.py": 193,
    "tests/dashboard/test_replicas.py": 184,
    "tests/jobs/test_simulate_fleet_cluster.py": 182,
    "tests/dashboard/test_settings_at_import.py": 156,
    "tests/jobs/test_export_cli.py": 152,
    "tests/dashboard/test_stored_text_escaped.py": 133,
    "tests/api/test_listing.py": 120,
    "tests/jobs/test_prune_webhooks.py": 109,
    "tests/dashboard/test_workflow_pages.py": 109,
    "tests/api/test_oidc.py": 107,
    "tests/connectors/prometheus/test_auth_real.py": 103,
    "tests/jobs/test_recompute.py": 90,
    "tests/jobs/test_cli.py": 84,
    "tests/data/workflow/test_state_machine.py": 81,
    "tests/api/test_decisions.py": 79,
    "tests/dashboard/test_budgets_page.py": 67,
    "tests/dashboard/test_realized_pages.py": 67,
    "tests/jobs/test_discover_job.py": 66,
    "tests/data/handoff/test_gitops.py": 65,
    "tests/dashboard/test_auth_launcher.py": 56,
    "tests/api/test_auth.py": 55,
    "tests/dashboard/test_browser_realized.py": 55,
    "tests/data/test_exports.py": 55,
    "tests/deploy/test_image_start.py": 55,
    "tests/api/test_openapi.py": 54,
    "tests/data/test_usage_rollup.py": 53,
    "tests/jobs/test_refresh_demo_costs.py": 53,
    "tests/deploy/test_bootstrap.py": 52,
    "tests/data/test_database_roles.py": 49,
    "tests/data/test_migrate_lock.py": 49,
    "tests/dashboard/test_browser_hostile_text.py": 49,
    "tests/data/test_audit_trail_chain.py": 46,
    "tests/engine/test_stats.py": 46,
    "tests/data/test_fleet_queries.py": 46,
    "tests/dashboard/test_pages.py": 45,
    "tests/connectors/focus/test_block_size.py": 43,
    "tests/jobs/test_webhooks.py": 43,
    "tests/data/test_scenario_actions.py": 42,
    "tests/connectors/prometheus/test_collect_scale_real.py": 42,
    "tests/jobs/test_kube_allocation_job.py": 42,
    "tests/dashboard/test_savings_report.py": 42,
    "tests/data/workflow/test_rollback.py": 41,
    "tests/data/workflow/test_bulk.py": 40,
    "tests/connectors/billing_api/test_pull.py": 38,
    "tests/api/test_simulations.py": 36,
    "tests/data/test_budgets_repo.py": 35,
    "tests/connectors/test_demo_seed.py": 35,
    "tests/dashboard/test_container_recommendation_page.py": 35,
    "tests/connectors/focus/test_scope_owners.py": 35,
    "tests/connectors/prometheus/test_victoria_metrics_real.py": 35,
    "tests/data/test_usage_windows_bulk.py": 34,
    "tests/connectors/focus/test_ingest.py": 34,
    "tests/connectors/focus/test_commitments.py": 33,
    "tests/connectors/focus/test_reconciliation.py": 33,
    "tests/jobs/test_prometheus_end_to_end.py": 33,
    "tests/data/test_recommendation_repo.py": 33,
    "tests/data/test_migrations.py": 32,
    "tests/jobs/test_refresh_costs.py": 31,
    "tests/data/workflow/test_apply.py": 31,
    "tests/dashboard/test_auth_gate.py": 30,
}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Reorder whole files (a file's own order is kept: its module fixtures rely on it)."""
    by_file: dict[str, list[pytest.Item]] = defaultdict(list)
    for item in items:
        by_file[item.nodeid.split("::", 1)[0]].append(item)
    order = file_order({path: len(tests) for path, tests in by_file.items()}, FILE_SECONDS)
    items[:] = [item for path in order for item in by_file[path]]


def file_order(test_counts: dict[str, int], seconds: dict[str, float]) -> list[str]:
    """Measured files, longest first; then the others, most tests first (xdist's own order)."""
    return sorted(test_counts, key=lambda path: (-seconds.get(path, 0.0), -test_counts[path]))


def seconds_per_file(junit_xml: str) -> dict[str, float]:
    """Sum a JUnit report's test times per file (pytest names a case's class `tests.a.test_b`)."""
    totals: dict[str, float] = defaultdict(float)
    for case in ET.parse(junit_xml).iter("testcase"):
        module = case.get("classname", "").split(".")
        while module and not module[-1].startswith("test_"):
            module.pop()  # a test class's name, not a module
        totals["/".join(module) + ".py"] += float(case.get("time", "0"))
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))


if __name__ == "__main__":
    for path, seconds in seconds_per_file(sys.argv[1]).items():
        if seconds >= 5:  # the tail of short files is ordered well enough by test count
            print(f'    "{path}": {seconds:.0f},')
