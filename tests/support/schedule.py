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
# 2026-12-07 on a quiet machine (2,516 passed in 721 s on 2 workers against a floor of 702 s, half
# the 1,404 s of test time: the workers finish together). Only their order matters.
FILE_SECONDS: dict[str, float] = {
    "tests/dashboard/test_browser_journey.py": 77,
    "tests/dashboard/test_browser_crawl.py": 66,
    "tests/dashboard/test_simulator_page.py": 62,
    "tests/dashboard/test_page_invariants_postgres.py": 61,
    "tests/dashboard/test_page_invariants.py": 61,
    "tests/dashboard/test_browser_simulator.py": 52,
    "tests/dashboard/test_replicas.py": 40,
    "tests/api/test_exports.py": 35,
    "tests/dashboard/test_auth_browser.py": 35,
    "tests/jobs/test_container_recommendations_real.py": 32,
    "tests/api/test_simulation_runs.py": 31,
    "tests/data/test_billing_cli.py": 29,
    "tests/dashboard/test_workflow_pages.py": 27,
    "tests/connectors/kube/test_workload_stats_real.py": 27,
    "tests/dashboard/test_browser_hostile_text.py": 26,
    "tests/connectors/kube/test_kube_discovery_real.py": 26,
    "tests/jobs/test_sidecar_hygiene.py": 25,
    "tests/api/test_process.py": 22,
    "tests/dashboard/test_browser_realized.py": 20,
    "tests/jobs/test_simulate_fleet_cluster.py": 20,
    "tests/jobs/test_recompute_cluster.py": 20,
    "tests/data/test_cost_rollup.py": 19,
    "tests/api/test_listing.py": 17,
    "tests/jobs/test_webhooks.py": 16,
    "tests/dashboard/test_browser_focus_upload.py": 15,
    "tests/api/test_decisions.py": 14,
    "tests/data/workflow/test_state_machine.py": 14,
    "tests/dashboard/test_stored_text_escaped.py": 13,
    "tests/jobs/test_sidecar_process.py": 12,
    "tests/connectors/prometheus/test_collect_scale_real.py": 12,
    "tests/test_clock_reads.py": 11,
    "tests/jobs/test_export_cli.py": 11,
    "tests/dashboard/test_pages.py": 11,
    "tests/data/test_exports.py": 11,
    "tests/connectors/focus/test_ingest.py": 10,
    "tests/jobs/test_recompute.py": 10,
    "tests/data/test_usage_rollup.py": 9,
    "tests/api/test_oidc.py": 9,
    "tests/api/test_auth.py": 9,
    "tests/data/test_simulations_repo.py": 9,
    "tests/dashboard/test_settings_at_import.py": 9,
    "tests/data/test_budgets_repo.py": 9,
    "tests/data/test_migrate_lock.py": 8,
    "tests/deploy/test_image_start.py": 8,
    "tests/deploy/test_compose_prometheus.py": 8,
    "tests/jobs/test_prometheus_end_to_end.py": 7,
    "tests/connectors/focus/test_deliveries.py": 7,
    "tests/data/test_fleet_queries.py": 7,
    "tests/dashboard/test_data_sources_page.py": 7,
    "tests/data/handoff/test_gitops.py": 7,
    "tests/jobs/test_cli.py": 7,
    "tests/data/test_audit_trail_chain.py": 6,
    "tests/dashboard/test_protocol_walk.py": 6,
    "tests/connectors/prometheus/test_collect_real.py": 6,
    "tests/connectors/prometheus/test_auth_real.py": 6,
    "tests/connectors/billing_api/test_pull.py": 6,
    "tests/connectors/focus/test_split.py": 5,
    "tests/data/workflow/test_reject_postpone.py": 5,
    "tests/jobs/test_cluster_stream.py": 5,
    "tests/connectors/focus/test_scope_owners.py": 5,
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
