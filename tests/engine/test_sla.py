"""Tests of the SLA engine: worked examples for each rule, risk tiers, and invariants."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import risk
from engine.capacity import CapacityConfig
from engine.errors import InsufficientData
from engine.queueing import response_time_quantile_s
from engine.service import POLICY_CLASSES, PolicyClass, Sla
from engine.sla import (
    RISK_LABELS,
    Candidates,
    CandidateVerdicts,
    SlaPolicy,
    cpu_seconds_per_request,
    evaluate,
    evaluate_candidates,
    policy_for,
)
from engine.sla.hours import project_latency
from engine.sla.latency import model_p95_ms
from engine.usage import UsageWindow
from tests.factories import make_k8s_config, make_usage, make_vm_config

STANDARD = policy_for("standard")


def flat_usage(
    hours: int = 100,
    *,
    cpu_cores: float = 1.0,
    cpu_p95_cores: float = 3.0,
    rps: float = 100.0,
    latency_ms: float = 100.0,
    memory_gib: float = 4.0,
    **overrides: Any,
) -> UsageWindow:
    """The same hour repeated: 1 core mean, 3 cores p95, 100 req/s (s = 10 ms), 100 ms, 4 GiB."""
    fields: dict[str, Any] = {
        "cpu_used_mean_cores": np.full(hours, cpu_cores),
        "cpu_used_p95_cores": np.full(hours, cpu_p95_cores),
        "requests_per_s": np.full(hours, rps),
        "latency_p95_ms": np.full(hours, latency_ms),
        "memory_used_max_gib": np.full(hours, memory_gib),
    }
    fields.update(overrides)
    return make_usage(hours=hours, **fields)


def noisy_usage(seed: int, hours: int, cores: float, rps: float, latency_ms: float) -> UsageWindow:
    """A daily wave with multiplicative noise, so every hour differs."""
    rng = np.random.default_rng(seed)
    wave = 0.6 + 0.4 * np.sin(2 * np.pi * np.arange(hours) / 24) + rng.uniform(0, 0.3, hours)
    cpu = cores * wave
    return make_usage(
        hours=hours,
        cpu_used_mean_cores=cpu,
        cpu_used_p95_cores=cpu * rng.uniform(1.05, 1.6, hours),
        requests_per_s=rps * wave * rng.uniform(0.9, 1.1, hours),
        latency_p95_ms=latency_ms * rng.uniform(0.8, 1.5, hours),
        memory_used_max_gib=np.full(hours, 2.0),
    )


def make_sla(latency_ms: float = 250.0, availability_pct: float = 99.9) -> Sla:
    return Sla(
        latency_p95_target_ms=latency_ms,
        availability_target_pct=availability_pct,
        max_error_rate_pct=1.0,
    )


def vm(replicas: int, vcpu: float = 2.0, **overrides: Any) -> CapacityConfig:
    return make_vm_config(replicas=replicas, vcpu_per_replica=vcpu, **overrides)


def model_ms(rate_per_s: float, service_s: float, servers: float) -> float:
    """The engine's model p95 (the tabulated M/M/c quantile): calibration identities are exact."""
    return float(model_p95_ms(np.asarray(rate_per_s), service_s, np.asarray(servers)))


def exact_model_ms(rate_per_s: float, service_s: float, servers: float) -> float:
    return 1000.0 * float(response_time_quantile_s(0.95, rate_per_s, service_s, servers))


# --- policy and service demand -------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy_class", "limit"),
    [("latency-critical", 0.65), ("standard", 0.75), ("batch", 0.90), ("dev", 0.90)],
)
def test_policy_classes_set_their_saturation_limit(policy_class: PolicyClass, limit: float) -> None:
    policy = policy_for(policy_class)

    assert policy.saturation_limit == limit
    assert policy.latency_hours_pct == 99.0
    assert policy.error_risk_utilization == 0.95
    assert policy.n_plus_one_latency_factor == 1.5


def test_a_policy_rejects_a_limit_above_one() -> None:
    with pytest.raises(ValueError, match="saturation_limit"):
        SlaPolicy(saturation_limit=1.2)


def test_cpu_seconds_per_request_is_the_ratio_of_sums() -> None:
    usage = make_usage(hours=48)  # mean CPU (1 + 2w) cores for (100 + 200w) req/s

    assert cpu_seconds_per_request(usage) == pytest.approx(0.01, rel=1e-12)


def test_cpu_seconds_per_request_ignores_quiet_and_missing_hours() -> None:
    usage = flat_usage(
        4,
        cpu_used_mean_cores=np.array([1.0, 5.0, np.nan, 3.0]),
        requests_per_s=np.array([100.0, 0.0, 50.0, 100.0]),
    )

    assert cpu_seconds_per_request(usage) == pytest.approx(4.0 / 200.0)


def test_cpu_seconds_per_request_is_nan_without_traffic() -> None:
    usage = flat_usage(rps=0.0)

    assert math.isnan(cpu_seconds_per_request(usage))


# --- latency ---------------------------------------------------------------------------------


def test_projection_adds_the_baseline_to_the_model_at_the_candidate() -> None:
    # s = 10 ms, λ = 100/s: a = 1 server busy; p95 CPU 1.5 of the candidate's 2 cores (75 %)
    usage = flat_usage(cpu_p95_cores=1.5)
    baseline_ms = 100.0 - model_ms(100.0, 0.01, 4.0)  # current: 2 × 2 vCPU

    verdict = evaluate(usage, vm(2), vm(1), sla=make_sla(), policy=STANDARD)

    # c = 2, a = 1 is the θ = μ case: e^(−x)·(1 + x/3) = 0.05 at x = 3.8164603 (× 10 ms); the
    # exact solver gives it to 1e-7 and the engine's table within its 1e-3 bound.
    assert exact_model_ms(100.0, 0.01, 2.0) == pytest.approx(38.164603, rel=1e-7)
    np.testing.assert_allclose(verdict.projected_latency_ms - baseline_ms, 38.164603, rtol=1e-3)


def test_the_current_config_reproduces_the_observed_latency() -> None:
    usage = make_usage(hours=72)

    verdict = evaluate(usage, vm(3), vm(3), sla=make_sla(), policy=STANDARD)

    np.testing.assert_allclose(verdict.projected_latency_ms, usage.latency_p95_ms, rtol=1e-12)


def test_a_missing_observation_takes_the_median_baseline() -> None:
    latency = np.array([90.0, 100.0, np.nan, 130.0])
    usage = flat_usage(4, latency_p95_ms=latency)
    model = model_ms(100.0, 0.01, 6.0)

    verdict = evaluate(usage, vm(3), vm(3), sla=make_sla(), policy=STANDARD)

    assert verdict.projected_latency_ms[2] == pytest.approx(100.0, rel=1e-12)
    assert model < 90.0


@pytest.mark.parametrize(("slow_hours", "latency_ok"), [(1, True), (3, False)])
def test_latency_must_hold_in_99_pct_of_hours(slow_hours: int, latency_ok: bool) -> None:
    latency = np.full(100, 100.0)
    latency[:slow_hours] = 400.0
    usage = flat_usage(latency_p95_ms=latency)

    verdict = evaluate(usage, vm(2), vm(2), sla=make_sla(), policy=STANDARD)

    assert verdict.latency_ok is latency_ok
    assert verdict.breach_hours == slow_hours
    assert verdict.hours_within_target_pct == pytest.approx(100.0 - slow_hours)


def test_a_latency_breach_is_explained() -> None:
    latency = np.full(100, 100.0)
    latency[:3] = 400.0
    usage = flat_usage(latency_p95_ms=latency)

    verdict = evaluate(usage, vm(2), vm(2), sla=make_sla(), policy=STANDARD)

    assert not verdict.passes
    assert "p95 latency above 250 ms in 3.0 % of hours (allowed 1.0 %)" in verdict.reasons
    assert verdict.sub_scores["latency"] == 3


def test_without_traffic_latency_is_not_modelled_but_saturation_still_applies() -> None:
    usage = flat_usage(rps=0.0, cpu_p95_cores=3.9)

    verdict = evaluate(usage, vm(2), vm(2), sla=make_sla(), policy=STANDARD)

    assert not verdict.latency_modelled
    assert verdict.latency_ok
    assert np.isnan(verdict.projected_latency_ms).all()
    assert any("not modelled (no traffic)" in reason for reason in verdict.reasons)
    assert verdict.error_risk
    assert not verdict.passes


def test_without_latency_observations_latency_is_not_modelled() -> None:
    usage = flat_usage(latency_p95_ms=np.full(100, np.nan))

    verdict = evaluate(usage, vm(3), vm(3), sla=make_sla(), policy=STANDARD)

    assert not verdict.latency_modelled
    assert verdict.passes
    assert verdict.sub_scores["latency"] == risk.UNCHECKED_SCORE
    assert any("no p95 latency observations" in reason for reason in verdict.reasons)


# --- saturation, error risk, memory ---------------------------------------------------------


@pytest.mark.parametrize(
    ("policy_class", "saturation_ok"),
    [("latency-critical", False), ("standard", True), ("batch", True)],
)
def test_peak_utilization_is_judged_against_the_class_limit(
    policy_class: PolicyClass, saturation_ok: bool
) -> None:
    usage = flat_usage(cpu_p95_cores=3.0)  # on 2 × 2 vCPU: 0.75

    verdict = evaluate(usage, vm(3), vm(2), sla=make_sla(), policy=policy_for(policy_class))

    assert verdict.peak_utilization == pytest.approx(0.75)
    assert verdict.saturation_ok is saturation_ok


@pytest.mark.parametrize(("cpu_p95_cores", "error_risk"), [(3.7, False), (3.8, True), (5.0, True)])
def test_utilization_from_95_pct_is_an_error_rate_risk(
    cpu_p95_cores: float, error_risk: bool
) -> None:
    usage = flat_usage(cpu_p95_cores=cpu_p95_cores)

    lenient = SlaPolicy(saturation_limit=1.0)  # so that only the error-risk rule can fail

    verdict = evaluate(usage, vm(3), vm(2), sla=make_sla(availability_pct=99.5), policy=lenient)

    assert verdict.error_risk is error_risk
    assert verdict.passes is not error_risk


def test_an_error_rate_risk_is_explained() -> None:
    usage = flat_usage(cpu_p95_cores=3.8)

    verdict = evaluate(usage, vm(3), vm(2), sla=make_sla(), policy=STANDARD)

    assert "CPU utilization reaches 95 % (≥ 95 %): error-rate risk" in verdict.reasons


def test_hours_at_capacity_are_saturated_breaches_with_unbounded_latency() -> None:
    cpu_p95 = np.full(100, 1.5)
    cpu_p95[:10] = 2.0  # ρ = 1 on 1 × 2 vCPU, though the mean load (1 core) is half of it
    usage = flat_usage(cpu_used_p95_cores=cpu_p95)

    verdict = evaluate(usage, vm(2), vm(1), sla=make_sla(), policy=STANDARD)

    assert np.all(np.isposinf(verdict.projected_latency_ms[:10]))
    assert np.all(verdict.projected_latency_ms[10:] < 250.0)
    assert (verdict.breach_hours, verdict.saturated_hours) == (10, 10)
    assert verdict.hours_within_target_pct == 90.0
    assert not verdict.latency_ok
    assert not verdict.saturation_ok
    assert not verdict.passes
    assert not verdict.sizing_ok  # capacity fixes saturation: never an irreducible breach
    assert verdict.sub_scores["latency"] == 4  # 10 % of hours against 1 % allowed
    assert (
        "CPU demand reaches 100 % of capacity: saturated (ρ ≥ 1) in 10 hours, where the queue"
        " never drains and latency is unbounded"
    ) in verdict.reasons


def test_hours_saturated_with_one_replica_lost_are_n_plus_one_breaches() -> None:
    cpu_p95 = np.full(100, 1.5)
    cpu_p95[:10] = 2.0  # 2 × 2 vCPU lose one: 2 cores left
    usage = flat_usage(cpu_used_p95_cores=cpu_p95)

    verdicts = evaluate_candidates(
        usage, vm(2), Candidates.of(vm(2)), sla=make_sla(), policy=STANDARD
    )

    assert verdicts.n_plus_one_hours_within_pct[0] == 90.0
    assert verdicts.breach_hours[0] == 0  # with both replicas: 50 %, well served


@pytest.mark.parametrize(("memory_gib", "memory_ok"), [(12.0, True), (12.5, False)])
def test_peak_memory_must_fit(memory_gib: float, memory_ok: bool) -> None:
    usage = flat_usage(memory_gib=memory_gib)
    candidate = vm(3, memory_gib_per_replica=4.0)

    verdict = evaluate(usage, vm(3), candidate, sla=make_sla(), policy=STANDARD)

    assert verdict.memory_ok is memory_ok
    assert verdict.passes is memory_ok


def test_an_out_of_memory_config_is_explained() -> None:
    usage = flat_usage(memory_gib=8.5)
    candidate = vm(2, memory_gib_per_replica=4.0)

    verdict = evaluate(usage, vm(3), candidate, sla=make_sla(), policy=STANDARD)

    assert "peak memory 106 % of 8.0 GiB: out-of-memory kills expected" in verdict.reasons
    assert verdict.risk_score == 4


def test_missing_memory_samples_pass_unchecked() -> None:
    usage = flat_usage(memory_used_max_gib=np.full(100, np.nan))

    verdict = evaluate(usage, vm(3), vm(3), sla=make_sla(), policy=STANDARD)

    assert verdict.memory_ok
    assert verdict.sub_scores["memory"] == risk.UNCHECKED_SCORE
    assert "no memory samples: memory is not checked" in verdict.reasons


# --- availability and N+1 -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("availability_pct", "replicas", "zones", "availability_ok"),
    [
        (99.9, 2, 2, True),
        (99.9, 2, 1, False),
        (99.9, 1, 2, False),
        (99.99, 2, 2, False),
        (99.99, 3, 2, True),
        (99.99, 3, 1, False),
        (99.5, 1, 1, True),
        (99.5, 0, 1, False),
    ],
)
def test_availability_needs_replicas_across_zones(
    availability_pct: float, replicas: int, zones: int, availability_ok: bool
) -> None:
    usage = flat_usage(cpu_p95_cores=0.5)
    candidate = vm(replicas, vcpu=8.0, zones=zones)

    verdict = evaluate(
        usage, vm(3), candidate, sla=make_sla(availability_pct=availability_pct), policy=STANDARD
    )

    assert verdict.availability_ok is availability_ok


def test_n_plus_one_fails_when_the_survivors_would_saturate() -> None:
    usage = flat_usage(cpu_p95_cores=3.0)  # 2 × 2 vCPU: 0.75, one lost: 1.5

    verdict = evaluate(usage, vm(3), vm(2), sla=make_sla(), policy=STANDARD)

    assert verdict.saturation_ok
    assert not verdict.n_plus_one_ok
    assert not verdict.passes
    assert "N+1: with 1 replica peak CPU utilization reaches 150 %" in verdict.reasons


def test_n_plus_one_holds_with_a_spare_replica() -> None:
    usage = flat_usage(cpu_p95_cores=3.0)  # 3 × 2 vCPU, one lost: 3 / 4 = 0.75

    verdict = evaluate(usage, vm(3), vm(3), sla=make_sla(), policy=STANDARD)

    assert verdict.n_plus_one_ok
    assert verdict.n_plus_one_peak_utilization == pytest.approx(0.75)
    assert verdict.passes


def test_n_plus_one_is_not_required_below_three_nines() -> None:
    usage = flat_usage(cpu_p95_cores=0.5)

    verdict = evaluate(usage, vm(3), vm(1), sla=make_sla(availability_pct=99.5), policy=STANDARD)

    assert not verdict.n_plus_one_ok
    assert verdict.passes
    assert "N+1: losing a replica leaves none (not required by this SLA)" in verdict.reasons
    assert verdict.sub_scores["availability"] == 1


def test_n_plus_one_fails_when_the_survivors_are_too_slow() -> None:
    # s = 12 ms at 100 req/s; 3 × 0.75 vCPU → p95 45.3 ms model, 2 survivors → 122.6 ms.
    usage = flat_usage(cpu_cores=1.2, cpu_p95_cores=1.3)
    config = make_k8s_config(replicas=3, vcpu_per_replica=0.75, cpu_request_cores=0.75)

    verdict = evaluate(usage, config, config, sla=make_sla(latency_ms=110.0), policy=STANDARD)

    assert verdict.latency_ok
    assert verdict.n_plus_one_peak_utilization < 1.0
    assert not verdict.n_plus_one_ok
    assert "N+1: with 2 replicas p95 latency above 165 ms in 100.0 % of hours (allowed 1.0 %)" in (
        verdict.reasons
    )


# --- verdicts, risk, demand -----------------------------------------------------------------


def test_a_passing_config_is_summarised_in_one_line() -> None:
    verdict = evaluate(flat_usage(), vm(3), vm(3), sla=make_sla(), policy=STANDARD)

    assert verdict.reasons == (
        "meets the SLA: p95 ≤ 250 ms in 100.0 % of hours, peak CPU 50 % (limit 75 %), N+1 holds",
    )
    assert verdict.risk_score == 0
    assert verdict.risk_label == "very low"


def test_demand_scale_multiplies_traffic_and_cpu() -> None:
    usage = flat_usage(cpu_p95_cores=2.0)
    growth = np.ones(100)
    growth[50] = 1.5

    flat = evaluate(usage, vm(3), vm(3), sla=make_sla(), policy=STANDARD, demand_scale=2.0)
    spike = evaluate(usage, vm(3), vm(3), sla=make_sla(), policy=STANDARD, demand_scale=growth)

    assert flat.peak_utilization == pytest.approx(4.0 / 6.0)
    assert spike.peak_utilization == pytest.approx(3.0 / 6.0)
    assert spike.projected_latency_ms[50] > spike.projected_latency_ms[49]


def test_batch_verdicts_match_one_at_a_time() -> None:
    usage = make_usage(hours=96)
    configs = [vm(1), vm(2), vm(3), vm(2, vcpu=0.5), vm(4, vcpu=1.0)]
    sla = make_sla()

    batch = evaluate_candidates(usage, vm(3), Candidates.of(*configs), sla=sla, policy=STANDARD)
    singles = [evaluate(usage, vm(3), config, sla=sla, policy=STANDARD) for config in configs]

    assert list(batch.passes) == [single.passes for single in singles]
    assert list(batch.risk_score) == [single.risk_score for single in singles]
    for row, single in zip(batch.projected_latency_ms, singles, strict=True):
        np.testing.assert_array_equal(row, single.projected_latency_ms)


def test_an_empty_window_cannot_be_judged() -> None:
    with pytest.raises(InsufficientData):
        evaluate(make_usage(hours=0), vm(3), vm(3), sla=make_sla(), policy=STANDARD)


def test_candidates_must_be_aligned() -> None:
    with pytest.raises(ValueError, match="aligned"):
        Candidates(
            replicas=np.array([1, 2]),
            vcpu_per_replica=np.array([1.0]),
            memory_gib_per_replica=np.array([1.0, 1.0]),
            zones=np.array([2, 2]),
        )


@pytest.mark.parametrize(
    ("peak", "score"),
    [(0.5, 0), (0.51, 1), (0.6375, 1), (0.64, 2), (0.75, 2), (0.76, 3), (0.95, 3), (0.96, 4)],
)
def test_cpu_headroom_tiers(peak: float, score: int) -> None:
    scores = risk.cpu_headroom_score(
        np.array([peak]), saturation_limit=0.75, error_risk_utilization=0.95
    )

    assert scores.tolist() == [score]


@pytest.mark.parametrize(
    ("breach_pct", "score"), [(0.0, 0), (0.1, 1), (0.5, 2), (1.0, 2), (5.0, 3), (5.1, 4)]
)
def test_latency_tiers(breach_pct: float, score: int) -> None:
    scores = risk.latency_score(np.array([breach_pct]), allowed_pct=1.0, modelled=True)

    assert scores.tolist() == [score]


@pytest.mark.parametrize(
    ("peak", "score"), [(0.5, 0), (0.83, 1), (0.87, 2), (1.0, 3), (1.01, 4), (np.nan, 1)]
)
def test_memory_tiers(peak: float, score: int) -> None:
    assert risk.memory_score(np.array([peak])).tolist() == [score]


@pytest.mark.parametrize(
    ("peak", "score"), [(0.79, 0), (0.8, 1), (0.9, 2), (0.95, 3), (1.0, 4), (np.nan, 4)]
)
def test_error_saturation_tiers(peak: float, score: int) -> None:
    assert risk.error_saturation_score(np.array([peak])).tolist() == [score]


# --- invariants -----------------------------------------------------------------------------

usage_params = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 2**32 - 1),
        "cores": st.floats(0.05, 40.0),
        "rps": st.floats(0.5, 5_000.0),
        "latency_ms": st.floats(5.0, 400.0),
    }
)
vcpu_st = st.sampled_from([0.25, 0.5, 1.0, 2.0, 4.0, 8.0])


def replica_ladder(vcpu: float, zones: int, top: int = 12) -> Candidates:
    replicas = np.arange(1, top + 1)
    return Candidates(
        replicas=replicas,
        vcpu_per_replica=np.full(top, vcpu),
        memory_gib_per_replica=np.full(top, 1.0),
        zones=np.full(top, zones),
    )


def judge_ladder(
    params: dict[str, Any], vcpu: float, policy_class: PolicyClass
) -> CandidateVerdicts:
    usage = noisy_usage(hours=48, **params)
    current = vm(4, vcpu=max(vcpu, params["cores"] / 2))
    sla = make_sla(latency_ms=2.0 * params["latency_ms"])
    return evaluate_candidates(
        usage, current, replica_ladder(vcpu, zones=2), sla=sla, policy=policy_for(policy_class)
    )


@settings(max_examples=60, deadline=None)
@given(params=usage_params, vcpu=vcpu_st)
def test_more_replicas_never_predict_worse_latency_or_utilization(
    params: dict[str, Any], vcpu: float
) -> None:
    verdicts = judge_ladder(params, vcpu, "standard")

    fewer, more = verdicts.projected_latency_ms[:-1], verdicts.projected_latency_ms[1:]
    assert np.all((more <= fewer * (1 + 1e-9)) | (fewer == np.inf))
    assert np.all(np.diff(verdicts.peak_utilization) <= 0)
    p95 = verdicts.p95_of_projected_latency_ms
    assert np.all((p95[1:] <= p95[:-1] * (1 + 1e-9)) | (p95[:-1] == np.inf))


@settings(max_examples=60, deadline=None)
@given(params=usage_params, vcpu=vcpu_st, policy_class=st.sampled_from(POLICY_CLASSES))
def test_verdicts_are_monotone_in_replicas(
    params: dict[str, Any], vcpu: float, policy_class: PolicyClass
) -> None:
    verdicts = judge_ladder(params, vcpu, policy_class)

    for name in ("latency_ok", "saturation_ok", "n_plus_one_ok", "availability_ok", "passes"):
        flags = getattr(verdicts, name).astype(int)
        assert np.all(np.diff(flags) >= 0), name
    assert np.all(np.diff(verdicts.risk_score) <= 0)


@settings(max_examples=60, deadline=None)
@given(params=usage_params, vcpu=vcpu_st, policy_class=st.sampled_from(POLICY_CLASSES))
def test_risk_is_the_max_sub_score_within_0_to_4(
    params: dict[str, Any], vcpu: float, policy_class: PolicyClass
) -> None:
    verdicts = judge_ladder(params, vcpu, policy_class)

    subs = verdicts.sub_scores
    stacked = np.stack(
        [subs.cpu_headroom, subs.memory, subs.latency, subs.error_saturation, subs.availability]
    )
    assert ((stacked >= 0) & (stacked <= 4)).all()
    np.testing.assert_array_equal(verdicts.risk_score, stacked.max(axis=0))
    assert len(RISK_LABELS) == 5


@settings(max_examples=40, deadline=None)
@given(params=usage_params, vcpu=vcpu_st, scale=st.floats(0.5, 3.0))
def test_every_saturated_hour_is_an_unbounded_breach(
    params: dict[str, Any], vcpu: float, scale: float
) -> None:
    usage = noisy_usage(hours=48, **params)

    verdicts = evaluate_candidates(
        usage,
        vm(4, vcpu=vcpu),
        replica_ladder(vcpu, zones=2),
        sla=make_sla(),
        policy=STANDARD,
        demand_scale=scale,
    )

    saturated = verdicts.projected_utilization >= 1.0
    np.testing.assert_array_equal(verdicts.saturated_hours, saturated.sum(axis=1))
    assert verdicts.latency_modelled  # noisy_usage always has traffic and latency
    assert np.all(np.isposinf(verdicts.projected_latency_ms[saturated]))
    assert np.all(verdicts.breach_hours >= verdicts.saturated_hours)


@settings(max_examples=60, deadline=None)
@given(params=usage_params, vcpu=vcpu_st, replicas=st.integers(1, 8))
def test_calibration_reproduces_the_observed_latency(
    params: dict[str, Any], vcpu: float, replicas: int
) -> None:
    usage = noisy_usage(hours=48, **params)
    current = vm(replicas, vcpu=vcpu)
    service_s = cpu_seconds_per_request(usage)
    model = np.array([model_ms(rate, service_s, replicas * vcpu) for rate in usage.requests_per_s])

    verdict = evaluate(usage, current, current, sla=make_sla(), policy=STANDARD)

    saturated = usage.cpu_used_p95_cores >= replicas * vcpu  # ρ ≥ 1: unbounded, observed or not
    fits = (model <= usage.latency_p95_ms) & ~saturated
    np.testing.assert_allclose(
        verdict.projected_latency_ms[fits], usage.latency_p95_ms[fits], rtol=1e-12
    )
    overshoot = ~fits & ~saturated
    np.testing.assert_allclose(
        verdict.projected_latency_ms[overshoot], model[overshoot], rtol=1e-12
    )
    assert np.all(np.isposinf(verdict.projected_latency_ms[saturated]))


def test_latency_spikes_no_capacity_can_fix_fail_the_sla_but_not_sizing() -> None:
    latency = np.full(100, 100.0)
    latency[:3] = 400.0  # a dependency outage: CPU and traffic stay flat

    verdict = evaluate(
        flat_usage(latency_p95_ms=latency), vm(3), vm(3), sla=make_sla(), policy=STANDARD
    )

    assert not verdict.passes
    assert verdict.sizing_ok


def test_queueing_breaches_are_not_irreducible() -> None:
    usage = flat_usage(cpu_cores=1.0, rps=100.0, latency_ms=100.0)  # 10 ms of CPU per request

    projected = project_latency(usage, vm(2), np.array([1.05]), np.ones(usage.points))

    assert projected.irreducible_breach_pct(250.0) == 0.0  # floor ≈ 70 + 30 ms
    assert np.all(projected.projected_ms > 250.0)  # ρ ≈ 0.95 on 1.05 servers
    assert projected.irreducible_breach_pct(50.0) == 100.0


def test_without_request_metrics_latency_is_not_modelled_and_says_why() -> None:
    usage = flat_usage(rps=np.nan, cpu_p95_cores=1.0)

    verdict = evaluate(usage, vm(2), vm(2), sla=make_sla(), policy=STANDARD)

    assert not verdict.latency_modelled
    assert any("not modelled (no request metrics)" in reason for reason in verdict.reasons)
