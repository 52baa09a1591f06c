"""The `workload` telemetry mapping discovery writes: parsed, and refused when malformed."""

from __future__ import annotations

from typing import Any

import pytest

from data.connectors.prometheus.mapping import WorkloadMapping, is_workload
from data.errors import InvalidSelector

VALID = {"kind": "workload", "namespace": "shop", "workload_kind": "Deployment",
         "workload": "cart"}  # fmt: skip


def test_a_workload_mapping_parses_with_or_without_a_cluster() -> None:
    plain = WorkloadMapping.parse(VALID)
    clustered = WorkloadMapping.parse({**VALID, "cluster": "eu-1"})

    assert plain == WorkloadMapping("shop", "Deployment", "cart")
    assert clustered.cluster == "eu-1"
    assert plain.describe() == "Deployment shop/cart"
    assert is_workload(VALID)
    assert not is_workload({"namespace": "shop", "container": "app"})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"workload_kind": "Rollout"}, "workload_kind must be one of"),
        ({"workload": ""}, "workload must be non-empty text"),
        ({"namespace": 3}, "namespace must be non-empty text"),
        ({"container": "app"}, "unknown keys ['container']"),
        ({"cluster": "a\x00b"}, "NUL"),
    ],
)
def test_a_malformed_workload_mapping_is_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidSelector, match=message.replace("[", r"\[").replace("]", r"\]")):
        WorkloadMapping.parse({**VALID, **change})
