"""evaluate_range runs its batch with the cyclic GC off and leaves it as it found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from engine.capacity import CapacityConfig
from engine.context import ServiceContext
from jobs.fleet_eval import evaluate_range
from tests.engine.rules.builders import flat_usage, make_ctx


@pytest.fixture(autouse=True)
def _gc_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()


def _contexts() -> list[ServiceContext]:
    config = CapacityConfig("kubernetes", 3, 1, 2, 1.0, 2.0, None, 1.0, 2.0)
    return [make_ctx(config, flat_usage(14 * 24, cpu_p95_cores=0.5))]


def test_the_collector_is_on_again_after_a_batch() -> None:
    gc.enable()

    recs = evaluate_range(_contexts())

    assert recs
    assert gc.isenabled()


def test_the_collector_is_on_again_when_a_batch_raises() -> None:
    gc.enable()

    with pytest.raises(AttributeError):
        evaluate_range([object()])  # type: ignore[list-item]

    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off() -> None:
    gc.disable()

    evaluate_range(_contexts())

    assert not gc.isenabled()
