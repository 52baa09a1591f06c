"""Demo changes applied weeks ago: recommendations the engine made then, billed since on the new
config, so realized savings and prediction accountability have something to show.

Four over-provisioned services each get the engine's own best proposal on the usage before
the change. Two are billed as proposed (realized near prediction); one kept its old
instances running after the apply (billed on the old config: realized ≈ 0, far from the
prediction); one is billed as proposed but its latency rose over target after the change (a
regression the SLA engine did not predict: an SLA breach to roll back).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np

from data.connectors.demo.fleet import DemoService
from data.repos.usage import USAGE_METRICS
from engine import rules
from engine.capacity import CapacityConfig
from engine.catalog import Catalog
from engine.context import ServiceContext
from engine.profiles import PROFILES
from engine.recommendation import Recommendation
from engine.service import Service
from engine.sla import policy_for
from engine.usage import UsageWindow

Role = Literal["near", "far", "breach"]
# (days before the seed's end, role): the change hour is 10:00 UTC on that day.
_PLAN: tuple[tuple[int, Role], ...] = ((24, "near"), (20, "far"), (17, "near"), (15, "breach"))
MIN_DEMO_DAYS = 30  # the earliest change needs a week of history before it
_SIZING_KINDS = ("rightsize", "horizontal", "joint")
_BREACH_OVER_TARGET = 1.02  # p90 of the hourly p95 after the change: 2 % over target
_QUIET_PCT = 0.5  # a near/far service has at most this share of hours over target after


@dataclass(frozen=True, slots=True)
class PlannedChange:
    """A change the demo applies at `applied_at`, and the config billing saw after it."""

    index: int  # the service's position in the fleet
    applied_at: datetime
    recommendation: Recommendation
    billed: CapacityConfig
    role: Role


def plan_changes(
    fleet: Sequence[DemoService], usage: Sequence[UsageWindow], catalog: Catalog, *, end: datetime
) -> tuple[PlannedChange, ...]:
    """The demo's past changes (none when the history is too short to hold them)."""
    if not usage or len(usage[0].hour_start) < MIN_DEMO_DAYS * 24:
        return ()
    planned: list[PlannedChange] = []
    candidates = (i for i, s in enumerate(fleet) if _candidate(s))
    for days_ago, role in _PLAN:
        at = (end - timedelta(days=days_ago)).replace(hour=10)
        for index in candidates:
            if role != "breach" and not _quiet_after(fleet[index], usage[index], at):
                continue  # its own incidents would breach the SLA: not the demo's one breach
            rec = _proposal(fleet[index], _before(usage[index], at), catalog, now=at)
            if rec is not None and rec.proposed is not None:
                billed = fleet[index].config if role == "far" else rec.proposed
                planned.append(PlannedChange(index, at, rec, billed, role))
                break
    return tuple(planned)


def split_usage(
    window: UsageWindow, change: PlannedChange, *, latency_target_ms: float
) -> tuple[UsageWindow, UsageWindow]:
    """The window before and from the change hour; a breach's latency rises over target after."""
    cut = int(np.searchsorted(window.hour_start, _hour(change.applied_at)))
    before, after = _slice(window, 0, cut), _slice(window, cut, len(window.hour_start))
    if change.role == "breach":
        latency = after.latency_p95_ms
        p90 = float(np.nanpercentile(latency, 90)) if np.isfinite(latency).any() else 0.0
        if p90 > 0:
            scale = _BREACH_OVER_TARGET * latency_target_ms / p90
            after = replace(after, latency_p95_ms=latency * max(scale, 1.0))
    return before, after


def joined(before: UsageWindow, after: UsageWindow) -> UsageWindow:
    """One window again, after `split_usage`."""
    return UsageWindow(
        service_id=before.service_id,
        hour_start=np.concatenate((before.hour_start, after.hour_start)),
        **{
            name: np.concatenate((getattr(before, name), getattr(after, name)))
            for name in USAGE_METRICS
        },
    )


def _candidate(service: DemoService) -> bool:
    return (
        service.archetype == "over-provisioned"
        and service.draft.environment in ("prod", "staging")
        and service.config.schedule == "always"
        and service.config.spot_pct == 0
    )


def _quiet_after(service: DemoService, window: UsageWindow, at: datetime) -> bool:
    latency = window.latency_p95_ms[window.hour_start >= _hour(at)]
    sampled = latency[np.isfinite(latency)]
    over = int((sampled > service.draft.sla.latency_p95_target_ms).sum())
    return over * 100.0 <= _QUIET_PCT * max(len(sampled), 1)


def _proposal(
    service: DemoService, usage: UsageWindow, catalog: Catalog, *, now: datetime
) -> Recommendation | None:
    """The engine's biggest offerable sizing proposal for the service at `now`."""
    draft = service.draft
    engine_service = Service(
        id=0, slug=draft.slug, name=draft.name, team=draft.team, owner=draft.owner,
        environment=draft.environment, platform=draft.platform, provider=draft.provider,
        region=draft.region, policy_class=draft.policy_class, sla=draft.sla,
    )  # fmt: skip
    ctx = ServiceContext(
        service=engine_service,
        config=service.config,
        usage=usage,
        catalog=catalog,
        profile=PROFILES["balanced"],
        policy=policy_for(draft.policy_class),
        now=now,
    )
    offered = [
        r
        for r in rules.recommend(ctx)
        if r.outcome == "recommend" and r.offerable and r.kind in _SIZING_KINDS
    ]
    return max(offered, key=lambda r: r.monthly_savings_usd, default=None)


def _before(window: UsageWindow, at: datetime) -> UsageWindow:
    return _slice(window, 0, int(np.searchsorted(window.hour_start, _hour(at))))


def _slice(window: UsageWindow, lo: int, hi: int) -> UsageWindow:
    return UsageWindow(
        service_id=window.service_id,
        hour_start=window.hour_start[lo:hi],
        **{name: getattr(window, name)[lo:hi] for name in USAGE_METRICS},
    )


def _hour(at: datetime) -> np.datetime64:
    return np.datetime64(at.astimezone(UTC).replace(tzinfo=None), "s")
