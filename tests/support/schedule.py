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

# Seconds per file (setup, call and teardown of its tests, 5 s and more) in one `make test` on
# 2026-12-07 on a quiet machine (2,484 passed in 805 s on 2 workers against a floor of 781 s, half
# the 1,561 s of test time: the workers finish together). Only their order matters.
FILE_SECONDS: dict[str, float] = {
    "tests/dashboard/test_browser_journey.py": 79,
    "tests/dashboard/test_browser_crawl.py": 73,
    "tests/dashboard/test_simulator_page.py": 62,
    "tests/dashboard/test_browser_simulator.py": 59,
    "tests/dashboard/test_page_invariants_postgres.py": 56,
    "tests/dashboard/test_page_invariants.py": 55,
    "tests/dashboard/test_replicas.py": 44,
    "tests/data/test_billing_cli.py": 39,
    "tests/dashboard/test_auth_browser.py": 38,
    "tests/jobs/test_sidecar_hygiene.py": 38,
    "tests/api/test_exports.py": 37,
    "tests/api/test_process.py": 33,
    "tests/dashboard/test_workflow_pages.py": 32,
    "tests/api/test_simulation_runs.py": 32,
    "tests/dashboard/test_browser_hostile_text.py": 30,
    "tests/connectors/kube/test_kube_discovery_real.py": 28,
    "tests/jobs/test_container_recommendations_real.py": 25,
    "tests/dashboard/test_browser_realized.py": 25,
    "tests/connectors/kube/test_workload_stats_real.py": 21,
    "tests/jobs/test_simulate_fleet_cluster.py": 21,
    "tests/jobs/test_export_cli.py": 21,
    "tests/api/test_listing.py": 18,
    "tests/jobs/test_recompute_cluster.py": 18,
    "tests/dashboard/test_pages.py": 16,
    "tests/data/test_cost_rollup.py": 16,
    "tests/jobs/test_webhooks.py": 16,
    "tests/data/workflow/test_state_machine.py": 16,
    "tests/dashboard/test_stored_text_escaped.py": 15,
    "tests/connectors/prometheus/test_collect_scale_real.py": 15,
    "tests/dashboard/test_settings_at_import.py": 14,
    "tests/jobs/test_sidecar_process.py": 13,
    "tests/jobs/test_recompute.py": 13,
    "tests/data/test_exports.py": 12,
    "tests/data/test_usage_rollup.py": 12,
    "tests/deploy/test_image_start.py": 12,
    "tests/data/test_fleet_queries.py": 12,
    "tests/dashboard/test_browser_focus_upload.py": 11,
    "tests/api/test_decisions.py": 11,
    "tests/api/test_oidc.py": 11,
    "tests/api/test_auth.py": 10,
    "tests/data/test_migrate_lock.py": 10,
    "tests/data/test_budgets_repo.py": 10,
    "tests/data/test_simulations_repo.py": 10,
    "tests/connectors/focus/test_ingest.py": 9,
    "tests/connectors/focus/test_deliveries.py": 9,
    "tests/jobs/test_cli.py": 9,
    "tests/data/test_audit_trail_chain.py": 9,
    "tests/deploy/test_compose_prometheus.py": 8,
    "tests/data/test_recommendation_repo.py": 8,
    "tests/dashboard/test_data_sources_page.py": 8,
    "tests/jobs/test_prometheus_end_to_end.py": 8,
    "tests/connectors/billing_api/test_pull.py": 8,
    "tests/data/handoff/test_gitops.py": 8,
    "tests/jobs/test_prune_webhooks.py": 7,
    "tests/connectors/focus/test_split.py": 7,
    "tests/data/test_job_requests.py": 7,
    "tests/data/test_scenario_actions.py": 7,
    "tests/connectors/prometheus/test_auth_real.py": 7,
    "tests/data/workflow/test_apply.py": 7,
    "tests/data/test_database_roles.py": 6,
    "tests/connectors/prometheus/test_collect_real.py": 6,
    "tests/jobs/test_refresh_demo_costs.py": 6,
    "tests/connectors/focus/test_scope_owners.py": 6,
    "tests/data/workflow/test_reject_postpone.py": 6,
    "tests/data/test_anomalies_repo.py": 6,
    "tests/dashboard/test_auth_launcher.py": 5,
    "tests/data/test_outbox.py": 5,
    "tests/connectors/prometheus/test_victoria_metrics_real.py": 5,
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
