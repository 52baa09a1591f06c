"""What is offered: a proposal keeps its own SLA verdict, and one config is proposed once."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.recommendation import Money, Recommendation, Risk, SlaSummary
from engine.rules import offer, recommend
from engine.rules.horizontal import horizontal
from engine.service import Sla
from engine.sla import policy_for
from tests.engine.rules.builders import flat_usage, make_ctx
from tests.factories import make_k8s_config, make_service, make_vm_config

PROD_SLA = Sla(latency_p95_target_ms=250.0, availability_target_pct=99.9, max_error_rate_pct=1.0)
KEEPS = SlaSummary(True, 120.0, 99.8, 0.5, True, True, ("meets the SLA",))
FAILS = SlaSummary(False, 570.0, 90.0, 0.5, True, True, ("p95 latency above 200 ms",))


def _proposal(kind: str, **overrides: Any) -> Recommendation:
    """A passing 3 → 2 replicas cut on service 1 ($210 → $140 a month)."""
    rec = Recommendation(
        kind=kind,  # type: ignore[arg-type]
        outcome="recommend",
        reason="3 × m5.large → 2 × m5.large",
        service_id=1,
        current=make_vm_config(),
        proposed=make_vm_config(replicas=2),
        cost_current=Money(210.24, 210.24),
        cost_proposed=Money(140.16, 140.16),
        risk=Risk(1),
        sla=KEEPS,
    )
    return replace(rec, **overrides)


def test_rules_proposing_one_config_offer_it_once_naming_who_agreed() -> None:
    rightsize = _proposal("rightsize", effort="low", restart_needed=True)
    scale = _proposal("horizontal", effort="very low", restart_needed=False)
    joint = _proposal("joint", effort="medium", restart_needed=True)

    offered = offer([rightsize, scale, joint])

    assert [r.outcome for r in offered] == ["merged", "recommend", "merged"]
    assert [r.kind for r in offered] == ["rightsize", "horizontal", "joint"]
    assert offered[1].explanation.agreeing_rules == ("rightsize", "horizontal", "joint")
    assert offered[0].reason.startswith("same change as the horizontal rule's")
    assert offered[0].proposed is None


def test_the_better_risk_adjusted_savings_win_before_effort() -> None:
    risky = _proposal("horizontal", effort="very low", risk=Risk(3))
    safe = _proposal("joint", effort="medium", risk=Risk(0))

    offered = offer([risky, safe])

    assert [r.outcome for r in offered] == ["merged", "recommend"]


def test_different_configs_are_all_offered() -> None:
    one, two = _proposal("rightsize"), _proposal("joint", proposed=make_vm_config(replicas=1))

    assert offer([one, two]) == (one, two)


def test_a_proposal_failing_its_own_sla_verdict_is_not_offered() -> None:
    failing = _proposal("rightsize", sla=FAILS)

    (offered,) = offer([failing])

    assert offered.outcome == "not_applicable"
    assert "does not keep the SLA (p95 latency above 200 ms)" in offered.reason
    assert offered.proposed is None


def test_no_configuration_meeting_the_target_is_an_outcome_naming_the_latency_floor() -> None:
    # 10 × m5.large for 1 core: a cut is worth making, but 5 % of hours are 400 ms slow
    # whatever the capacity (a dependency), and the SLA allows 1 %.
    usage = flat_usage(cpu_p95_cores=1.0, latency_ms=100.0)
    latency = usage.latency_p95_ms.copy()
    latency[::20] = 400.0
    service = make_service(environment="prod", policy_class="standard", sla=PROD_SLA)
    ctx = make_ctx(
        make_vm_config(replicas=10),
        replace(usage, latency_p95_ms=latency),
        service=service,
        policy=policy_for("standard"),
    )

    results = recommend(ctx)[:3]

    assert {r.outcome for r in results} == {"sla_unreachable"}
    floor_ms = float(results[0].reason.split("latency floor ")[1].split(" ms")[0])
    assert results[0].reason.startswith("no configuration meets 250 ms: latency floor")
    assert floor_ms == pytest.approx(400.0, abs=10.0)
    assert all(r.proposed is None for r in results)


def test_a_costlier_config_that_restores_the_sla_is_a_restore_sla() -> None:
    # 3.8 cores on 2 × 2 vCPU = 95 %: error-rate risk; 3 replicas (63 %) keep the SLA.
    service = make_service(environment="prod", policy_class="standard", sla=PROD_SLA)
    ctx = make_ctx(
        make_vm_config(replicas=2),
        flat_usage(cpu_p95_cores=3.8),
        service=service,
        policy=policy_for("standard"),
    )

    rec = horizontal(ctx)

    assert (rec.kind, rec.rule_name, rec.outcome) == ("restore_sla", "horizontal", "recommend")
    assert rec.monthly_savings_usd < 0
    assert rec.sla is not None
    assert rec.sla.passes
    assert rec.reason.startswith("restore the SLA: 2 × m5.large")


@settings(max_examples=30, deadline=None)
@given(
    cpu_cores=st.floats(0.05, 6.0),
    replicas=st.integers(1, 6),
    k8s=st.booleans(),
    slow_every=st.sampled_from([0, 7, 30, 200]),
)
def test_every_offered_proposal_keeps_its_sla_verdict_and_is_one_of_a_kind(
    cpu_cores: float, replicas: int, k8s: bool, slow_every: int
) -> None:
    make = make_k8s_config if k8s else make_vm_config
    hours = np.arange(14 * 24)
    usage = flat_usage(cpu_p95_cores=cpu_cores * (1 + 0.3 * np.sin(hours / 4)), latency_ms=90.0)
    if slow_every:  # a slow dependency every few hours: no capacity removes it
        usage = replace(usage, latency_p95_ms=np.where(hours % slow_every, 90.0, 600.0))
    ctx = make_ctx(make(replicas=replicas, min_replicas=1, zones=1), usage)

    offered = [r for r in offer(recommend(ctx)) if r.outcome == "recommend"]

    assert all(r.sla is None or r.sla.passes for r in offered)
    assert len({r.key for r in offered}) == len(offered)
