"""Without hourly arrays (a fleet recompute) the SLA engine gives the hourly verdicts, exactly."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import rules
from engine.capacity import CapacityConfig
from engine.profiles import PROFILES
from engine.service import Sla
from engine.sla import (
    Candidates,
    CandidateVerdicts,
    Judgement,
    evaluate_many,
    hours,
    policy_for,
    summary,
)
from engine.sla.utilization import bisected_counts, ratio, saturated_counts, saturated_hours
from engine.usage import UsageWindow
from tests.engine.rules.builders import make_ctx
from tests.factories import make_k8s_config, make_usage, make_vm_config

HOURLY_ONLY = {"projected_latency_ms", "projected_utilization"}


def wavy_usage(seed: int, hours: int, cores: float, noise: float) -> UsageWindow:
    """A daily wave with independent noise on CPU, traffic and latency, so the hours that rank
    high by traffic and by latency differ (the bound must hold, not luck into it)."""
    rng = np.random.default_rng(seed)
    wave = 0.6 + 0.4 * np.sin(2 * np.pi * (np.arange(hours) / 24 + rng.uniform()))
    cpu = cores * wave * rng.uniform(1.0 - noise, 1.0 + noise, hours)
    return make_usage(
        hours=hours,
        cpu_used_mean_cores=cpu * 0.8,
        cpu_used_p95_cores=cpu * rng.uniform(1.0, 1.0 + 2 * noise, hours),
        requests_per_s=100.0 * cores * wave * rng.uniform(1.0 - noise, 1.0 + noise, hours),
        latency_p95_ms=rng.uniform(60.0, 60.0 + 400.0 * noise, hours),
        memory_used_max_gib=np.full(hours, 2.0),
    )


def grid(cores: float) -> Candidates:
    """Replicas 1–9 of five sizes around `cores`: saturated, tight, comfortable and idle rows."""
    replicas = np.repeat(np.arange(1, 10), 5)
    vcpu = np.tile(np.array([0.25, 0.5, 1.0, 2.0, 4.0]) * max(cores, 0.05), 9)
    return Candidates(replicas, vcpu, np.full(len(vcpu), 4.0), np.full(len(vcpu), 2))


def both_ways(
    judgements: list[Judgement],
) -> tuple[list[CandidateVerdicts], list[CandidateVerdicts]]:
    hourly = evaluate_many(judgements)
    summed = evaluate_many([replace(j, hourly=False) for j in judgements])
    return hourly, summed


def assert_same_verdicts(hourly: CandidateVerdicts, summed: CandidateVerdicts) -> None:
    for field in fields(CandidateVerdicts):
        if field.name in HOURLY_ONLY:
            continue
        a, b = getattr(hourly, field.name), getattr(summed, field.name)
        if field.name == "sub_scores":
            a, b = a.total, b.total
        np.testing.assert_array_equal(a, b, err_msg=field.name)  # NaN equals NaN here
    assert summed.projected_latency_ms.shape == (len(hourly.passes), 0)


def judgement(usage: UsageWindow, cores: float, target_ms: float, scale: float) -> Judgement:
    current = CapacityConfig("kubernetes", 3, 2, 2, max(cores, 0.05), 4.0, None, 1.0, 2.0)
    sla = Sla(target_ms, 99.9, 1.0)
    return Judgement(usage, current, grid(cores), sla, policy_for("standard"), scale)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    hours=st.sampled_from([24, 100, 336, 2160]),
    cores=st.floats(0.02, 40.0),
    noise=st.floats(0.0, 0.6),
    target_ms=st.floats(70.0, 600.0),
    scale=st.floats(0.3, 3.0),
)
def test_the_summary_equals_the_hourly_path(
    seed: int, hours: int, cores: float, noise: float, target_ms: float, scale: float
) -> None:
    """Every verdict field but the hourly arrays is identical, cell for cell, with and without
    them: shares, breach and saturated hours, the p95 over hours, risk scores, pass/fail."""
    usage = wavy_usage(seed, hours, cores, noise)
    hourly, summed = both_ways([judgement(usage, cores, target_ms, scale)])
    assert_same_verdicts(hourly[0], summed[0])


def test_a_batch_of_mixed_services_is_summarized_and_stays_exact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A batch where most rows are certified, some are not (tight targets, saturation) and one
    service has a missing hour (never summarized): all equal, and the fast path did run."""
    usages = [wavy_usage(seed, 2160, 1.0 + seed, 0.2) for seed in range(6)]
    gap = usages[0].requests_per_s.copy()
    gap[7] = np.nan
    usages[0] = replace(usages[0], requests_per_s=gap)
    judgements = [
        judgement(u, 1.0 + i, 300.0 if i % 2 else 90.0, 1.0) for i, u in enumerate(usages)
    ]
    done: list[int] = []
    real = summary.summarize

    def counting(*args: Any) -> summary.Summary:
        out = real(*args)
        done.append(int(out.done.sum()))
        return out

    monkeypatch.setattr(hours, "summarize", counting)
    hourly, summed = both_ways(judgements)
    for a, b in zip(hourly, summed, strict=True):
        assert_same_verdicts(a, b)
    assert sum(done) > len(grid(1.0))  # certified rows: the summary, not the fallback, answered


@given(
    cpu=st.lists(
        st.floats(0.0, 10.0, allow_subnormal=False) | st.just(float("nan")), min_size=1, max_size=60
    ),
    capacity=st.lists(
        st.floats(0.0, 12.0, allow_subnormal=False) | st.just(float("inf")), min_size=1, max_size=30
    ),
)
def test_saturated_counts_equal_the_utilization_matrix(
    cpu: list[float], capacity: list[float]
) -> None:
    """Counted by bisection, the saturated hours are those of the candidates × hours ratio,
    including hours a hair below capacity, capacity 0 and NaN hours — by the matrix (a few
    candidates) and by bisection (any number)."""
    used, cap = np.array(cpu), np.array(capacity)
    used = np.concatenate([used, cap[np.isfinite(cap)] * (1 - 1e-16), cap[np.isfinite(cap)]])
    expected = saturated_hours(ratio(used[None, :], cap[:, None]))
    np.testing.assert_array_equal(saturated_counts(used, cap), expected)
    np.testing.assert_array_equal(bisected_counts(used, cap), expected)


def test_recommendations_are_the_same_without_the_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """rules.recommend_many (the recompute) on 90-day windows gives the very recommendations —
    outcomes, configs, costs, SLA summaries, reasons — that it gives when every row takes the
    hourly path (the summary certifying nothing)."""
    profile = replace(PROFILES["balanced"], lookback_days=90)
    contexts = [
        make_ctx(
            make_vm_config(replicas=3) if i % 2 else make_k8s_config(replicas=4),
            wavy_usage(i, 90 * 24, 0.5 + i, 0.15),
            profile=profile,
        )
        for i in range(6)
    ]
    certified: list[int] = []
    real = summary.summarize

    def counting(*args: Any) -> summary.Summary:
        out = real(*args)
        certified.append(int(out.done.sum()))
        return out

    monkeypatch.setattr(hours, "summarize", counting)
    fast = [repr(r) for results in rules.recommend_many(contexts) for r in results]
    assert sum(certified) > 0  # the summary answered for some rows

    def nothing_certified(stack: Any, service_s: Any, rows: summary.Rows) -> summary.Summary:
        n = len(rows.service)
        return summary.Summary(
            np.zeros(n, np.bool_), np.full(n, np.nan), np.zeros(n, np.int64), np.full(n, np.nan)
        )

    monkeypatch.setattr(hours, "summarize", nothing_certified)
    slow = [repr(r) for results in rules.recommend_many(contexts) for r in results]
    assert fast == slow
    assert any("recommend" in text for text in fast)
