"""Worked examples of horizontal scaling: replicas from peak demand, floors, scale-ups."""

from __future__ import annotations

import pytest

from engine.rules.horizontal import horizontal
from engine.service import Sla
from engine.sla import policy_for
from engine.units import HOURS_PER_MONTH
from tests.engine.rules.builders import flat_usage, make_ctx
from tests.factories import make_service, make_vm_config

PROD_SLA = Sla(latency_p95_target_ms=250.0, availability_target_pct=99.9, max_error_rate_pct=1.0)


def test_replicas_follow_peak_demand_at_the_target_utilization() -> None:
    # Peak 5 cores, 2 vCPU each, target 0.65 → ceil(5 / 1.3) = ceil(3.85) = 4 replicas.
    service = make_service(environment="prod", policy_class="standard", sla=PROD_SLA)
    ctx = make_ctx(make_vm_config(replicas=10), flat_usage(cpu_p95_cores=5.0), service=service)

    rec = horizontal(ctx)

    assert rec.outcome == "recommend"
    assert rec.proposed is not None
    assert rec.proposed.replicas == 4
    assert rec.monthly_savings_usd == pytest.approx(6 * 0.096 * HOURS_PER_MONTH)  # 420.48
    assert rec.sla is not None
    assert rec.sla.passes
    assert rec.sla.n_plus_one_ok
    assert rec.sla.peak_utilization == pytest.approx(5 / 8)
    assert not rec.restart_needed


def test_replicas_never_drop_below_what_the_availability_target_needs() -> None:
    sla = Sla(latency_p95_target_ms=250.0, availability_target_pct=99.99, max_error_rate_pct=1.0)
    service = make_service(environment="prod", sla=sla)
    ctx = make_ctx(make_vm_config(replicas=8), flat_usage(cpu_p95_cores=0.2), service=service)

    rec = horizontal(ctx)

    assert rec.proposed is not None
    assert rec.proposed.replicas == 3
    assert rec.explanation.fact("start_replicas") == 3


def test_an_overloaded_service_gets_a_scale_up_with_its_current_risk_stated() -> None:
    # 3.8 cores on 2 × 2 vCPU = 95 %: error-rate risk. ceil(3.8 / 1.3) = 3 replicas → 63 %.
    service = make_service(environment="prod", policy_class="standard", sla=PROD_SLA)
    ctx = make_ctx(
        make_vm_config(replicas=2),
        flat_usage(cpu_p95_cores=3.8),
        service=service,
        policy=policy_for("standard"),
    )

    rec = horizontal(ctx)

    assert rec.outcome == "recommend"
    assert rec.proposed is not None
    assert rec.proposed.replicas == 3
    assert rec.monthly_savings_usd == pytest.approx(-0.096 * HOURS_PER_MONTH)
    assert rec.explanation.fact("current_fails_sla") is True
    assert rec.explanation.fact("current_risk") == "3 (elevated)"
    assert rec.risk.score <= 2


def test_a_service_at_its_replica_count_is_already_optimal() -> None:
    ctx = make_ctx(
        make_vm_config(replicas=4, min_replicas=1, zones=1), flat_usage(cpu_p95_cores=5.0)
    )

    rec = horizontal(ctx)

    assert rec.outcome == "already_optimal"
