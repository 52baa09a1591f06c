"""judge_many's two rounds (shortlist heads first) give the values of judging every candidate."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from data.catalog.loader import load_catalog
from data.connectors.demo.fleet import build_fleet
from data.connectors.demo.shapes import usage_window
from data.connectors.demo.well_sized import fit_well_sized
from engine.context import ServiceContext
from engine.profiles import PROFILES
from engine.rules import decide, recommend_many
from engine.service import Service
from engine.sla import policy_for

END = datetime(2026, 11, 20, tzinfo=UTC)


def test_heads_first_gives_the_values_of_judging_every_candidate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    contexts = _demo_contexts(n_services=60)
    rounds: list[int] = []
    original = decide._judge_all

    def counting(hearings: list[Any]) -> Any:
        rounds.append(sum(h is not None for h in hearings))
        return original(hearings)

    monkeypatch.setattr(decide, "_judge_all", counting)
    heads_first = recommend_many(contexts)
    monkeypatch.setattr(decide, "HEADS", None)  # every candidate in the first round
    every_candidate = recommend_many(contexts)

    assert repr(heads_first) == repr(every_candidate)  # repr: NaN fields compare equal
    assert 0 < rounds[1] < rounds[0]  # some services needed the second round, not all


def _demo_contexts(n_services: int) -> list[ServiceContext]:
    catalog = load_catalog()
    contexts = []
    for demo in build_fleet(catalog, seed=5, n_services=n_services):
        usage = usage_window(demo, service_id=demo.index + 1, end=END, days=30)
        # Half as generated (many fail their SLA today), half fitted as the demo seeds them.
        fitted = fit_well_sized(demo, usage, catalog, now=END) if demo.index % 2 else demo
        draft = fitted.draft
        service = Service(
            id=demo.index + 1, slug=draft.slug, name=draft.name, team=draft.team,
            owner=draft.owner, environment=draft.environment, platform=draft.platform,
            provider=draft.provider, region=draft.region, policy_class=draft.policy_class,
            sla=draft.sla,
        )  # fmt: skip
        policy = policy_for(draft.policy_class)
        profile = PROFILES["balanced"]
        contexts.append(
            ServiceContext(service, fitted.config, usage, catalog, profile, policy, END)
        )
    return contexts
