"""Well-sized demo services are sized as the engine would size them: a stable starting point."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from data.connectors.demo.fleet import DemoService
from engine.catalog import Catalog
from engine.context import ServiceContext
from engine.profiles import PROFILES
from engine.rules.joint import joint
from engine.service import Service
from engine.sla import policy_for
from engine.usage import UsageWindow

MAX_FITTING_PASSES = 3  # the latency calibration moves with the config: settle in ≤ 3 passes


def fit_well_sized(
    demo: DemoService, window: UsageWindow, catalog: Catalog, *, now: datetime
) -> DemoService:
    """The "well-sized" archetype with the config the balanced profile's joint search keeps.

    Rule: run the joint rule (type × replicas, SLA-gated) on the seeded history; while it
    recommends a change, adopt it (at most MAX_FITTING_PASSES times — each pass recalibrates
    latency on the adopted config). Other archetypes, and services the engine cannot size,
    are returned unchanged. Only the stored config changes: the usage was generated in cores,
    so it describes the same workload on any config.
    """
    if demo.archetype != "well-sized":
        return demo
    for _ in range(MAX_FITTING_PASSES):
        rec = joint(_context(demo, window, catalog, now))
        if rec.outcome != "recommend" or rec.proposed is None:
            return demo
        demo = replace(demo, config=rec.proposed)
    return demo


def _context(
    demo: DemoService, window: UsageWindow, catalog: Catalog, now: datetime
) -> ServiceContext:
    draft = demo.draft
    service = Service(
        id=demo.index + 1, slug=draft.slug, name=draft.name, team=draft.team, owner=draft.owner,
        environment=draft.environment, platform=draft.platform, provider=draft.provider,
        region=draft.region, policy_class=draft.policy_class, sla=draft.sla,
    )  # fmt: skip
    policy = policy_for(draft.policy_class)
    return ServiceContext(service, demo.config, window, catalog, PROFILES["balanced"], policy, now)
