"""SimulationGate: a run over the path-hour bound never starts; one past the slots is busy."""

from __future__ import annotations

import threading

import pytest

from data import scenario_runs
from data.catalog import load_catalog
from data.errors import SimulationTooLarge, SimulatorBusy
from data.scenario_runs import ServiceInputs, SimulationGate
from engine.simulation import Scenario, SimulationResult
from tests.factories import make_service, make_usage, make_vm_config

INPUTS = ServiceInputs(make_service(), make_vm_config(), make_usage(hours=14 * 24))


def test_a_run_over_the_bound_is_refused_and_one_within_it_runs() -> None:
    gate = SimulationGate(load_catalog(), max_path_hours=20 * 14 * 24, at_once=1)

    with pytest.raises(SimulationTooLarge, match="21 paths x 14 days = 7,056 path-hours"):
        gate.run(INPUTS, Scenario(horizon_days=14, paths=21))
    result = gate.run(INPUTS, Scenario(horizon_days=14, paths=20, replicas=2))

    assert (result.paths, result.config.replicas) == (20, 2)


def test_a_run_while_every_slot_is_taken_is_busy_and_the_slot_comes_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = SimulationGate(load_catalog(), max_path_hours=10**6, at_once=1)
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
