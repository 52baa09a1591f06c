"""Worked examples of the idle (decommission) rule."""

from __future__ import annotations

import numpy as np
import pytest

from engine.rules.idle import idle
from engine.units import HOURS_PER_MONTH
from tests.engine.rules.builders import flat_usage, make_ctx
from tests.factories import make_vm_config


def test_a_service_idle_for_14_days_is_decommissioned() -> None:
    # 0.06 cores of 6 vCPU = 1 % utilization, 0.01 req/s.
    ctx = make_ctx(make_vm_config(), flat_usage(cpu_p95_cores=0.06, rps=0.01))

    rec = idle(ctx)

    assert rec.outcome == "recommend"
    assert rec.proposed is not None
    assert (rec.proposed.replicas, rec.proposed.min_replicas) == (0, 0)
    assert rec.cost_proposed is not None
    assert rec.cost_proposed.effective_usd == 0.0
    assert rec.monthly_savings_usd == pytest.approx(3 * 0.096 * HOURS_PER_MONTH)  # 210.24
    assert rec.restart_needed
    assert 0 <= rec.risk.score <= 4


def test_a_service_with_traffic_is_not_idle() -> None:
    ctx = make_ctx(make_vm_config(), flat_usage(cpu_p95_cores=0.06, rps=5.0))

    rec = idle(ctx)

    assert rec.outcome == "not_applicable"
    assert "requests p95 5.00/s" in rec.reason


def test_a_busy_cpu_is_not_idle() -> None:
    ctx = make_ctx(make_vm_config(), flat_usage(cpu_p95_cores=0.3, rps=0.0))

    assert idle(ctx).outcome == "not_applicable"


def test_fewer_than_14_days_is_not_enough_data() -> None:
    ctx = make_ctx(make_vm_config(), flat_usage(10 * 24, cpu_p95_cores=0.06, rps=0.0))

    rec = idle(ctx)

    assert rec.outcome == "not_enough_data"
    assert rec.reason == "not enough data: 10.0 of 14 days"


def test_without_request_metrics_cpu_alone_decides_and_the_risk_is_one_higher() -> None:
    measured = idle(make_ctx(make_vm_config(), flat_usage(cpu_p95_cores=0.06, rps=0.01)))
    unmeasured = idle(make_ctx(make_vm_config(), flat_usage(cpu_p95_cores=0.06, rps=np.nan)))

    assert unmeasured.outcome == "recommend"
    assert "requests/s not measured" in unmeasured.reason
    assert unmeasured.risk.score == measured.risk.score + 1
