"""Worked examples of the off-hours schedule rule."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from engine.rules.off_hours import off_hours
from engine.units import HOURS_PER_MONTH
from tests.engine.rules.builders import flat_usage, make_ctx
from tests.factories import make_service, make_vm_config

MONDAY = datetime(2026, 11, 2, tzinfo=UTC)


def office_hours_usage(weeks: int = 3, *, weekend_busy: bool = False) -> tuple[np.ndarray, ...]:
    """Busy 08:00-18:00 UTC on weekdays (1 core, 100 req/s), idle otherwise."""
    hours = np.arange(weeks * 168)
    weekday, hour = (hours // 24) % 7, hours % 24
    busy = ((weekday < 5) | weekend_busy) & (hour >= 8) & (hour < 18)
    return np.where(busy, 1.0, 0.01), np.where(busy, 100.0, 0.0)


def test_idle_nights_and_weekends_give_a_weekday_schedule() -> None:
    cpu, rps = office_hours_usage()
    config = make_vm_config(replicas=1, min_replicas=1, zones=1)
    ctx = make_ctx(config, flat_usage(3 * 168, cpu_p95_cores=cpu, rps=rps, start=MONDAY))

    rec = off_hours(ctx)

    assert rec.outcome == "recommend"
    assert rec.proposed is not None
    assert rec.proposed.schedule == "weekdays 08-18"
    assert rec.cost_current is not None
    assert rec.cost_proposed is not None
    assert rec.cost_current.list_usd == pytest.approx(0.096 * HOURS_PER_MONTH)  # 70.08
    assert rec.cost_proposed.list_usd == pytest.approx(0.096 * HOURS_PER_MONTH * 50 / 168)


def test_busy_weekends_leave_no_weekday_schedule() -> None:
    cpu, rps = office_hours_usage(weekend_busy=True)
    ctx = make_ctx(make_vm_config(), flat_usage(3 * 168, cpu_p95_cores=cpu, rps=rps, start=MONDAY))

    rec = off_hours(ctx)

    assert rec.outcome == "not_applicable"
    assert "weekends" in rec.reason


def test_prod_services_keep_running() -> None:
    cpu, rps = office_hours_usage()
    service = make_service(environment="prod")
    usage = flat_usage(3 * 168, cpu_p95_cores=cpu, rps=rps, start=MONDAY)

    assert off_hours(make_ctx(make_vm_config(), usage, service=service)).outcome == "not_applicable"


def test_one_week_is_not_enough_data() -> None:
    cpu, rps = office_hours_usage(weeks=1)
    usage = flat_usage(168, cpu_p95_cores=cpu, rps=rps, start=MONDAY)

    assert off_hours(make_ctx(make_vm_config(), usage)).outcome == "not_enough_data"


def test_without_request_metrics_idle_cpu_hours_still_give_a_schedule() -> None:
    cpu, _ = office_hours_usage()
    config = make_vm_config(replicas=1, min_replicas=1, zones=1)
    usage = flat_usage(3 * 168, cpu_p95_cores=cpu, rps=np.nan, start=MONDAY)

    rec = off_hours(make_ctx(config, usage))

    assert rec.outcome == "recommend"
    assert rec.proposed is not None
    assert rec.proposed.schedule == "weekdays 08-18"
