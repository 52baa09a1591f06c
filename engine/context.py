"""Everything a recommendation rule may look at for one service, bundled once per recompute."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.capacity import CapacityConfig
from engine.catalog import Catalog
from engine.profiles import SizingProfile
from engine.service import Service
from engine.sla import SlaPolicy
from engine.usage import UsageWindow


@dataclass(frozen=True, slots=True)
class ServiceContext:
    """One service's inputs: identity + SLA, current config, usage window, prices and policy.

    `now` is passed in (the engine never reads a clock); `usage` already covers the profile's
    lookback, newest hour last.
    """

    service: Service
    config: CapacityConfig
    usage: UsageWindow
    catalog: Catalog
    profile: SizingProfile
    policy: SlaPolicy
    now: datetime
