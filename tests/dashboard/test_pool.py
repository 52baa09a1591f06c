"""The dashboard's pool: its size from the settings, and the SLA replay on it (real workers)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pandas as pd
import pytest

from dashboard import pool, projection
from data.pool import ProcessRunner
from data.settings import Settings
from tests.engine.simulation_builders import seasonal_usage
from tests.factories import PROD_SERVICE, make_service, make_vm_config


@pytest.fixture(scope="module")
def runner() -> Iterator[ProcessRunner]:
    started = ProcessRunner(workers=1)
    yield started
    started.shutdown()


def test_the_pool_has_one_worker_per_usable_cpu_unless_configured() -> None:
    default = pool.build(Settings(_env_file=None))
    two = pool.build(Settings(_env_file=None, dashboard_pool_workers=2))
    try:
        assert isinstance(default, ProcessRunner)
        assert isinstance(two, ProcessRunner)
        assert default.workers == len(os.sched_getaffinity(0))
        assert two.workers == 2
    finally:
        default.shutdown()
        two.shutdown()


def test_the_sla_replay_of_a_recommendation_round_trips(runner: ProcessRunner) -> None:
    usage, service = seasonal_usage(24 * 14), make_service(**PROD_SERVICE)
    current, proposed = make_vm_config(replicas=4), make_vm_config(replicas=3)

    pooled = runner.run(projection.project, usage, service, current, proposed)

    local = projection.project(usage, service, current, proposed)
    assert pooled.breach_hours_proposed == local.breach_hours_proposed
    assert pooled.p95_proposed_ms == local.p95_proposed_ms
    pd.testing.assert_frame_equal(pooled.hourly, local.hourly)
