"""The shared worker pool, on real worker processes: values round-trip, errors surface, a dead
worker gives a clear error and the pool serves the next call."""

from __future__ import annotations

import multiprocessing
import os
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from data.errors import WorkerLost
from data.pool import ProcessRunner
from data.scenario_runs import ServiceInputs, run_scenario
from engine.errors import InsufficientData
from engine.simulation import Scenario
from tests.engine.simulation_builders import make_catalog, seasonal_usage
from tests.factories import PROD_SERVICE, make_service, make_vm_config
from tests.support import pool_work


@pytest.fixture(scope="module")
def runner() -> Iterator[ProcessRunner]:
    started = ProcessRunner(workers=2)
    yield started
    started.shutdown()


def test_a_call_runs_in_another_process(runner: ProcessRunner) -> None:
    pid = runner.run(pool_work.worker_pid)

    assert pid != os.getpid()


def test_a_simulation_round_trips_as_the_in_process_result(runner: ProcessRunner) -> None:
    inputs = ServiceInputs(
        make_service(**PROD_SERVICE), make_vm_config(replicas=4), seasonal_usage(24 * 28)
    )
    scenario, catalog = Scenario(growth_pct=30.0, paths=50), make_catalog()

    pooled = runner.run(run_scenario, inputs, scenario, catalog)

    local = run_scenario(inputs, scenario, catalog)
    assert pooled.config == local.config
    assert pooled.cost.effective_usd == local.cost.effective_usd
    assert pooled.sla.hold_probability == local.sla.hold_probability
    assert pooled.sla.breach_hours_p50 == local.sla.breach_hours_p50
    np.testing.assert_array_equal(pooled.hourly.utilization.p50, local.hourly.utilization.p50)


def test_an_engine_error_in_a_worker_is_raised_as_itself(runner: ProcessRunner) -> None:
    with pytest.raises(InsufficientData, match="no hours"):
        runner.run(pool_work.refuse, "no hours")


def test_a_dead_worker_is_a_clear_error_and_the_pool_recovers(runner: ProcessRunner) -> None:
    with pytest.raises(WorkerLost, match="worker stopped while running die"):
        runner.run(pool_work.die)

    assert runner.run(pool_work.worker_pid) != os.getpid()


def test_a_cold_pool_starts_a_worker_only_when_a_call_needs_one() -> None:
    before = set(multiprocessing.active_children())
    cold = ProcessRunner(workers=2, warm=False)
    try:
        idle = set(multiprocessing.active_children()) - before
        pid = cold.run(pool_work.worker_pid)
        started = set(multiprocessing.active_children()) - before
    finally:
        cold.shutdown()

    assert idle == set()
    assert pid in {p.pid for p in started}


def test_workers_start_while_a_page_script_is_the_main_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "page.py"
    script.write_text("raise SystemExit('a worker imported the page script')\n")
    page_main = types.ModuleType("__main__")
    page_main.__file__ = str(script)  # as Streamlit installs each run's script
    monkeypatch.setitem(sys.modules, "__main__", page_main)
    fresh = ProcessRunner(workers=1)
    try:
        pid = fresh.run(pool_work.worker_pid)
    finally:
        fresh.shutdown()

    assert pid != os.getpid()
    assert sys.modules["__main__"] is page_main
