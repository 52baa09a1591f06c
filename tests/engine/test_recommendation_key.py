"""A proposal's key is the sha256 of its target and proposed config as sorted JSON, as stored."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from hypothesis import given
from hypothesis import strategies as st

from engine.capacity import CapacityConfig
from engine.recommendation import Recommendation
from engine.service import Platform

_ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)
_SHARE = st.floats(min_value=0.0, max_value=50.0)
_COUNT = st.integers(min_value=0, max_value=10_000)


@st.composite
def configs(draw: st.DrawFn) -> CapacityConfig:
    platform: Platform = draw(st.sampled_from(["vm", "kubernetes"]))
    return CapacityConfig(
        platform=platform,
        replicas=draw(_COUNT),
        min_replicas=draw(_COUNT),
        zones=draw(st.integers(min_value=1, max_value=6)),
        vcpu_per_replica=draw(_ANY_FLOAT),
        memory_gib_per_replica=draw(_ANY_FLOAT),
        instance_type=draw(st.text(min_size=1)) if platform == "vm" else draw(st.none()),
        cpu_request_cores=draw(_ANY_FLOAT) if platform == "kubernetes" else None,
        memory_request_gib=draw(_ANY_FLOAT) if platform == "kubernetes" else None,
        commitment_coverage_pct=draw(_SHARE),
        spot_pct=draw(_SHARE),
        schedule=draw(st.text()),
    )


@given(
    proposed=st.none() | configs(),
    service_id=st.none() | st.integers(),
    scope=st.text(),
)
def test_the_key_is_the_stored_formula_over_asdict(
    proposed: CapacityConfig | None, service_id: int | None, scope: str
) -> None:
    # The key reads the config's fields itself, not through dataclasses.asdict, and reuses
    # one JSON encoder: stored keys (upserts, suppressions) must not move by a bit.
    rec = Recommendation(
        "rightsize", "recommend", "r", service_id=service_id, scope=scope, proposed=proposed
    )
    as_dict = asdict(proposed) if proposed else None
    payload = json.dumps([rec.target, as_dict], sort_keys=True)

    assert rec.key == hashlib.sha256(payload.encode()).hexdigest()[:32]
