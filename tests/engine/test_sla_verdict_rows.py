"""verdict_at read from a batch's VerdictRows (lists) gives the verdict read from the arrays."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.capacity import CapacityConfig
from engine.service import PolicyClass, Sla
from engine.sla import Candidates, Judgement, evaluate_many, policy_for
from engine.sla.judge import evaluate_many_rows
from engine.sla.verdict import verdict_at
from tests.engine.test_sla_summary import wavy_usage

SLAS = (Sla(300.0, 99.9, 1.0), Sla(90.0, 99.0, 1.0), Sla(150.0, 99.99, 0.5))
POLICIES: tuple[PolicyClass, ...] = ("latency-critical", "standard", "batch")


def mixed_grid(cores: float, rng: np.random.Generator) -> Candidates:
    """Replicas 0–9, sizes from saturating to idle, some memory too small and one zone: every
    reason rule has candidates to speak for."""
    n = 30
    return Candidates(
        rng.integers(0, 10, n),
        rng.choice([0.25, 0.5, 1.0, 2.0, 4.0], n) * max(cores, 0.05),
        rng.choice([0.1, 1.0, 4.0], n),
        rng.integers(1, 4, n),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    services=st.integers(1, 5),
    hours=st.sampled_from([24, 336]),
    hourly=st.booleans(),
)
def test_rows_give_the_arrays_verdict(seed: int, services: int, hours: int, hourly: bool) -> None:
    """Services of mixed SLAs and policies (several groups of one batch), one without traffic
    (latency unmodelled): every candidate's SlaVerdict, reasons included, has the same repr."""
    rng = np.random.default_rng(seed)
    judgements = []
    for i in range(services):
        cores = float(rng.uniform(0.05, 8.0))
        usage = wavy_usage(seed + i, hours, cores, float(rng.uniform(0.0, 0.6)))
        if i == 2:
            usage = replace(usage, requests_per_s=np.full(hours, np.nan))
        current = CapacityConfig("kubernetes", 3, 2, 2, max(cores, 0.05), 4.0, None, 1.0, 2.0)
        sla, policy = SLAS[i % 3], policy_for(POLICIES[int(rng.integers(0, 3))])
        candidates = mixed_grid(cores, rng)
        judgements.append(Judgement(usage, current, candidates, sla, policy, hourly=hourly))

    found = evaluate_many_rows(judgements)

    plain = evaluate_many(judgements)
    for judgement, (verdicts, rows), alone in zip(judgements, found, plain, strict=True):
        assert repr(verdicts) == repr(alone)
        sla, policy, candidates = judgement.sla, judgement.policy, judgement.candidates
        for index in range(len(candidates)):
            from_rows = verdict_at(verdicts, index, candidates, sla=sla, policy=policy, rows=rows)
            from_arrays = verdict_at(verdicts, index, candidates, sla=sla, policy=policy)
            assert repr(from_rows) == repr(from_arrays)
