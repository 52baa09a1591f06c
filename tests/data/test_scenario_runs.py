"""SimulationGate: a run over the path-hour bound never starts; one past the slots is busy; runs
go to the gate's worker pool (real processes)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from data import scenario_runs
from data.catalog import load_catalog
from data.errors import SimulationTooLarge, SimulatorBusy
from data.pool import ProcessRunner
from data.scenario_runs import ServiceInputs, SimulationGate
from data.settings import Settings
from engine.simulation import Scenario, SimulationResult
from tests.factories import make_service, make_usage, make_vm_config
from tests.support import pool_work

INPUTS = ServiceInputs(make_service(), make_vm_config(), make_usage(hours=14 * 24))


class _Here:
    """Runs the call in this thread: for the slot test, whose held run must share our events."""

    def run(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    def shutdown(self) -> None:
        pass


@pytest.fixture(scope="module")
def runner() -> Iterator[ProcessRunner]:
    started = ProcessRunner(workers=1, warm=False)
    yield started
    started.shutdown()


def test_a_run_over_the_bound_is_refused_and_one_within_it_runs(runner: ProcessRunner) -> None:
    gate = SimulationGate(load_catalog(), runner, max_path_hours=20 * 14 * 24, at_once=1)

    with pytest.raises(SimulationTooLarge, match="21 paths x 14 days = 7,056 path-hours"):
        gate.run(INPUTS, Scenario(horizon_days=14, paths=21))
    result = gate.run(INPUTS, Scenario(horizon_days=14, paths=20, replicas=2))

    assert (result.paths, result.config.replicas) == (20, 2)


def test_a_run_while_every_slot_is_taken_is_busy_and_the_slot_comes_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = SimulationGate(load_catalog(), _Here(), max_path_hours=10**6, at_once=1)
    started, release = threading.Event(), threading.Event()
    real_run = scenario_runs.run_scenario

    def held(inputs: ServiceInputs, scenario: Scenario, catalog: object) -> SimulationResult:
        started.set()
        release.wait()
        return real_run(inputs, scenario, gate.catalog)

    monkeypatch.setattr(scenario_runs, "run_scenario", held)
    first = threading.Thread(target=gate.run, args=(INPUTS, Scenario(horizon_days=14, paths=5)))
    first.start()
    started.wait()
    with pytest.raises(SimulatorBusy):
        gate.run(INPUTS, Scenario(horizon_days=14, paths=5))
    release.set()
    first.join()

    assert gate.run(INPUTS, Scenario(horizon_days=14, paths=5)).paths == 5


def test_the_settings_gate_runs_in_a_pool_of_one_worker_per_slot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = SimulationGate.from_settings(Settings(_env_file=None, api_simulations_at_once=1))
    monkeypatch.setattr(scenario_runs, "run_scenario", pool_work.worker_pid)  # sent by name
    try:
        ran_in: object = gate.run(INPUTS, Scenario(horizon_days=14, paths=5))  # the worker's pid
    finally:
        gate.shutdown()

    assert isinstance(gate.runner, ProcessRunner)
    assert gate.runner.workers == 1
    assert ran_in != os.getpid()
