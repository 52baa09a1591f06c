"""Values the hot path builds field by field (not dataclasses.replace) keep every field."""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np

from engine.capacity import CapacityConfig
from engine.rules.decide import Search
from engine.rules.grid import pod_grid, same_size
from engine.sla import Judgement


def test_every_field_of_a_capacity_config_is_built_by_config_at() -> None:
    names = [f.name for f in fields(CapacityConfig)]

    assert len(names) == 12, "config_at builds CapacityConfig field by field: add the new one"


def test_search_and_judgement_have_the_fields_decide_copies() -> None:
    search = [f.name for f in fields(Search)]
    judgement = [f.name for f in fields(Judgement)]

    assert search == ["kind", "grid", "restart_needed", "effort", "detail"]
    assert judgement == [
        "usage", "current", "candidates", "sla", "policy", "demand_scale", "hourly", "service_s"
    ]  # fmt: skip


def test_a_pod_row_is_the_base_with_that_rows_replicas_zones_and_requests() -> None:
    base = CapacityConfig(
        "kubernetes", 3, 2, 1, 0.5, 1.0, None, 0.5, 1.0, 20.0, 10.0, "weekdays 07-20"
    )
    grid = pod_grid(base, np.array([4, 6]), np.array([2, 3]), np.array([0.25, 0.75]), np.ones(2))

    got = grid.config_at(1)

    assert got == replace(
        base, replicas=6, zones=3, vcpu_per_replica=0.75, memory_gib_per_replica=1.0,
        cpu_request_cores=0.75, memory_request_gib=1.0,
    )  # fmt: skip
    assert type(got.replicas) is int
    assert type(got.vcpu_per_replica) is float


def test_a_vm_row_keeps_the_base_type_and_pricing_mix() -> None:
    base = CapacityConfig("vm", 2, 1, 2, 2.0, 8.0, "m5.large", None, None, 30.0, 0.0, "always")
    grid = same_size(base, np.array([3, 5]), np.array([2, 2]))

    got = grid.config_at(0)

    assert got == replace(base, replicas=3, zones=2)
    assert repr(got) == repr(replace(base, replicas=3, zones=2))
