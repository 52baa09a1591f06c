"""Fleet evaluation across processes: the same values in the same order, and failures surface."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from engine.context import ServiceContext
from engine.rules import recommend
from jobs import fleet_eval
from jobs.errors import WorkerFailed
from tests.engine.rules.builders import flat_usage, make_ctx
from tests.factories import make_k8s_config, make_service, make_vm_config

# Three batches of fleet_eval.BATCH and a partial one: enough for both processes to claim some.
N_SERVICES = 3 * fleet_eval.BATCH + 7


def _fleet() -> list[ServiceContext]:
    contexts = []
    for i in range(N_SERVICES):
        config = (
            make_vm_config(replicas=2 + i % 5) if i % 2 else make_k8s_config(replicas=2 + i % 4)
        )
        usage = replace(
            flat_usage(24 * 8, cpu_p95_cores=0.3 + (i % 7) * 0.4, latency_ms=90.0), service_id=i
        )
        service = replace(make_service(platform=config.platform), id=i, slug=f"svc-{i}")
        contexts.append(make_ctx(config, usage, service=service))
    return contexts


@pytest.fixture(scope="module")
def fleet() -> list[ServiceContext]:
    return _fleet()


def test_two_processes_return_what_one_returns_in_the_same_order(
    fleet: list[ServiceContext],
) -> None:
    serial = fleet_eval.evaluate(fleet, workers=1)
    parallel = fleet_eval.evaluate(fleet, workers=2)

    assert parallel == serial
    assert [r.service_id for r in parallel[:: len(recommend(fleet[0]))]] == list(range(N_SERVICES))


def test_a_worker_that_raises_fails_the_run_with_its_traceback_not_a_hang(
    fleet: list[ServiceContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    real, parent = fleet_eval._evaluate_range, os.getpid()

    def broken_in_the_worker(
        contexts: list[ServiceContext], start: int, stop: int
    ) -> tuple[object, ...]:
        if os.getpid() != parent:
            raise ZeroDivisionError("boom in a batch")
        return real(contexts, start, stop)

    # Patched before the fork, so the forked worker runs the broken function too.
    monkeypatch.setattr(fleet_eval, "_evaluate_range", broken_in_the_worker)

    with pytest.raises(WorkerFailed, match="boom in a batch"):
        fleet_eval.evaluate(fleet, workers=2)


def test_a_worker_that_dies_fails_the_run_instead_of_waiting_forever(
    fleet: list[ServiceContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    real, parent = fleet_eval._evaluate_range, os.getpid()

    def killed_in_the_worker(
        contexts: list[ServiceContext], start: int, stop: int
    ) -> tuple[object, ...]:
        if os.getpid() != parent:
            os._exit(9)  # as if the OOM killer took it: nothing sent, no traceback
        return real(contexts, start, stop)

    monkeypatch.setattr(fleet_eval, "_evaluate_range", killed_in_the_worker)

    with pytest.raises(WorkerFailed, match="exited before sending"):
        fleet_eval.evaluate(fleet, workers=2)
