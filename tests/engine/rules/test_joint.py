"""Worked examples of the joint search (type × replicas), judged in one batched SLA call."""

from __future__ import annotations

from typing import Any

import pytest

import engine.rules.decide as deciding
from engine import sla
from engine.rules.joint import joint
from engine.units import HOURS_PER_MONTH
from tests.engine.rules.builders import flat_usage, make_ctx
from tests.factories import make_k8s_config, make_vm_config


def test_joint_finds_the_cheapest_type_and_count_that_keeps_the_sla() -> None:
    # Need 2 × 1.15 = 2.3 cores and 3 × 1.15 = 3.45 GiB in total; 2 × m6i.large ($0.18/h) wins
    # over 1 × m5.xlarge ($0.192/h) and 2 × m5.large ($0.192/h).
    config = make_vm_config(
        replicas=4, min_replicas=1, zones=1, instance_type="m5.xlarge",
        vcpu_per_replica=4.0, memory_gib_per_replica=16.0,
    )  # fmt: skip
    ctx = make_ctx(config, flat_usage(cpu_p95_cores=2.0, memory_gib=3.0))

    rec = joint(ctx)

    assert rec.outcome == "recommend"
    assert rec.proposed is not None
    assert (rec.proposed.instance_type, rec.proposed.replicas) == ("m6i.large", 2)
    assert rec.cost_proposed is not None
    assert rec.cost_proposed.list_usd == pytest.approx(2 * 0.090 * HOURS_PER_MONTH)  # 131.40
    assert rec.monthly_savings_usd == pytest.approx((4 * 0.192 - 2 * 0.090) * HOURS_PER_MONTH)


def test_joint_screens_every_candidate_in_one_call_then_judges_a_shortlist(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    screened: list[int] = []
    judged: list[int] = []
    original_screen, original_judge = sla.screen_candidates, sla.evaluate_many

    def counting_screen(*args: Any, **kwargs: Any) -> Any:
        screened.append(len(args[1]))
        return original_screen(*args, **kwargs)

    def counting_judge(*args: Any, **kwargs: Any) -> Any:
        judged.append(sum(len(judgement.candidates) for judgement in args[0]))
        return original_judge(*args, **kwargs)

    monkeypatch.setattr(deciding, "screen_candidates", counting_screen)
    monkeypatch.setattr(deciding, "evaluate_many", counting_judge)
    ctx = make_ctx(
        make_vm_config(replicas=4, min_replicas=1, zones=1), flat_usage(cpu_p95_cores=2.0)
    )

    joint(ctx)

    assert len(screened) == 1
    assert screened[0] > 10  # every candidate, latency-free screen
    assert len(judged) == 1  # one full verdict call …
    assert judged[0] <= deciding.SHORTLIST + 1  # … on the cheapest survivors and the current


def test_joint_for_pods_spreads_the_total_need_over_replicas() -> None:
    # Total need 0.8 × 1.15 = 0.92 cores, 2 × 1.15 = 2.3 GiB: every count shares it out.
    ctx = make_ctx(
        make_k8s_config(zones=1, min_replicas=1), flat_usage(cpu_p95_cores=0.8, memory_gib=2.0)
    )

    rec = joint(ctx)

    assert rec.outcome == "recommend"
    assert rec.proposed is not None
    assert rec.proposed.cpu_request_cores is not None
    replicas = rec.proposed.replicas
    assert replicas * rec.proposed.cpu_request_cores >= 0.92 - 1e-9
    assert rec.proposed.memory_request_gib is not None
    assert replicas * rec.proposed.memory_request_gib >= 2.3 - 1e-9
    assert rec.sla is not None
    assert rec.sla.passes
