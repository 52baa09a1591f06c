"""The Simulator's levers: one labelled widget per Scenario field, read into a `Scenario`.

Every widget starts at the current config (so the first result is "no change") and its key is
prefixed `sim_`; `reset` forgets them when another service is picked. A lever starts through
its session state, never its default (see `_start`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import numpy as np
import streamlit as st

from dashboard.components import formats
from engine.capacity import ALWAYS_ON, CapacityConfig
from engine.catalog import Catalog
from engine.profiles import PROFILES, ProfileName
from engine.simulation import Scenario
from engine.simulation.scenario import DEFAULT_PATHS

GROWTH_KEY = "sim_growth_pct"
REPLICAS_KEY = "sim_replicas"
COUNT_MODES = ("Fixed count", "Target utilization", "Profile")
SCHEDULES = (ALWAYS_ON, "weekdays 07-20", "weekdays 08-18", "weekdays 06-22")
CPU_REQUESTS_M = (100, 250, 500, 750, 1000, 1500, 2000, 3000, 4000, 6000, 8000)
MEMORY_REQUESTS_GIB = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 32.0)
MAX_INSTANCE_CHOICES = 16
KEYS = (
    GROWTH_KEY,
    REPLICAS_KEY,
    "sim_count_mode",
    "sim_target_util_pct",
    "sim_profile",
    "sim_autoscaling",
    "sim_instance_type",
    "sim_cpu_request_m",
    "sim_memory_request_gib",
    "sim_commitment_pct",
    "sim_commitment_discount_pct",
    "sim_spot_pct",
    "sim_schedule",
    "sim_horizon_days",
)


class _Size(TypedDict, total=False):
    instance_type: str | None
    cpu_request_cores: float | None
    memory_request_gib: float | None


class _Count(TypedDict, total=False):
    replicas: int | None
    target_utilization: float | None
    profile: ProfileName | None
    autoscaling: bool


@dataclass(frozen=True, slots=True)
class Levers:
    """The scenario the widgets describe, and a note when a value had to be adjusted."""

    scenario: Scenario
    note: str | None = None


def reset() -> None:
    """Forget every lever (they restart from the newly picked service's config)."""
    for key in KEYS:
        st.session_state.pop(key, None)


def draw(current: CapacityConfig, *, region: str, catalog: Catalog, history_days: int) -> Levers:
    """All levers in four groups; returns the scenario they set (None = keep the current)."""
    with st.container(border=True):
        st.markdown("**Demand**")
        _start(GROWTH_KEY, 0)
        growth = st.slider(
            "Demand growth (%)", -50, 200, step=5, key=GROWTH_KEY,
            help="Scales requests/s and CPU of every replayed hour; memory is kept.",
        )  # fmt: skip
        horizon = _horizon(history_days)
    with st.container(border=True):
        st.markdown("**Size and count**")
        size = _size(current, region=region, catalog=catalog)
        count = _count(current)
    with st.container(border=True):
        st.markdown("**Pricing and schedule**")
        coverage, discount, spot, note = _pricing(current, catalog)
        schedule = _schedule(current)
    scenario = Scenario(
        growth_pct=float(growth),
        **size,
        **count,
        commitment_coverage_pct=_changed(coverage, current.commitment_coverage_pct),
        commitment_discount_pct=discount,
        spot_pct=_changed(spot, current.spot_pct),
        schedule=None if schedule == current.schedule else schedule,
        horizon_days=horizon,
        paths=DEFAULT_PATHS,
    )
    return Levers(scenario, note)


def _horizon(history_days: int) -> int:
    longest = max(min(history_days, 90), 1)
    if longest <= 7:
        st.caption(f"History replayed: the {longest} day(s) available.")
        return longest
    _start("sim_horizon_days", longest)
    days: int = st.slider(
        "History replayed (days)", 7, longest, key="sim_horizon_days",
        help="The last N days of hourly usage are replayed under the scenario.",
    )  # fmt: skip
    return days


def _size(current: CapacityConfig, *, region: str, catalog: Catalog) -> _Size:
    if current.platform == "vm":
        choices = instance_choices(current, region=region, catalog=catalog)
        _start("sim_instance_type", current.instance_type or choices[0])
        picked: str = st.selectbox(
            "Instance type", choices,
            format_func=lambda name: _instance_label(name, catalog), key="sim_instance_type",
        )  # fmt: skip
        return {"instance_type": None if picked == current.instance_type else picked}
    cpu_now = round((current.cpu_request_cores or 0.0) * 1000)
    memory_now = current.memory_request_gib or 0.0
    _start("sim_cpu_request_m", cpu_now)
    cpu_m: int = st.select_slider(
        "CPU request per pod", sorted({*CPU_REQUESTS_M, cpu_now}),
        format_func=lambda m: formats.cores(m / 1000), key="sim_cpu_request_m",
    )  # fmt: skip
    _start("sim_memory_request_gib", memory_now)
    memory: float = st.select_slider(
        "Memory request per pod", sorted({*MEMORY_REQUESTS_GIB, memory_now}),
        format_func=formats.gib, key="sim_memory_request_gib",
    )  # fmt: skip
    return {
        "cpu_request_cores": None if cpu_m == cpu_now else cpu_m / 1000,
        "memory_request_gib": None if memory == memory_now else memory,
    }


def _count(current: CapacityConfig) -> _Count:
    _start("sim_count_mode", COUNT_MODES[0])
    mode = st.radio(
        "Replica count from", COUNT_MODES, horizontal=True, key="sim_count_mode",
        help="A fixed count, or the count the peak demand needs at a target utilization.",
    )  # fmt: skip
    if mode == COUNT_MODES[0]:
        _start(REPLICAS_KEY, current.replicas)
        replicas: int = st.slider(
            "Replicas", 1, max(2 * current.replicas + 4, 10), key=REPLICAS_KEY
        )
        return {"replicas": None if replicas == current.replicas else replicas}
    if mode == COUNT_MODES[1]:
        _start("sim_target_util_pct", 60)
        target: int = st.slider(
            "Target CPU utilization (%)", 10, 95, step=5, key="sim_target_util_pct"
        )
        wanted: _Count = {"target_utilization": target / 100.0}
    else:
        _start("sim_profile", "balanced")
        profile: ProfileName = st.selectbox(
            "Profile", tuple(PROFILES), key="sim_profile",
            format_func=lambda name: f"{name} (target "
            f"{PROFILES[name].target_utilization * 100:.0f} %)",
        )  # fmt: skip
        wanted = {"profile": profile}
    _start("sim_autoscaling", False)
    wanted["autoscaling"] = st.toggle(
        "Autoscale hourly", key="sim_autoscaling",
        help="The count follows each hour's demand (at the target) instead of the peak's.",
    )  # fmt: skip
    return wanted


def _pricing(current: CapacityConfig, catalog: Catalog) -> tuple[float, float, float, str | None]:
    _start("sim_commitment_pct", round(current.commitment_coverage_pct))
    coverage = st.slider(
        "Commitment coverage (%)", 0, 100, step=5, key="sim_commitment_pct",
        help="The commitment, as a share of today's fleet at on-demand prices. It is bought "
        "once: replicas the scenario adds run on demand (or spot), and a smaller or cheaper "
        "fleet leaves part of it unused.",
    )  # fmt: skip
    _start("sim_commitment_discount_pct", round(catalog.discounts.one_year_pct))
    discount = st.slider(
        "Commitment discount (%)", 0, 75, key="sim_commitment_discount_pct",
        help="Default: the catalog's one-year discount.",
    )  # fmt: skip
    _start("sim_spot_pct", round(current.spot_pct))
    spot = st.slider(
        "Spot share (%)", 0, 100, step=5, key="sim_spot_pct",
        help=f"At the catalog's spot discount ({catalog.discounts.spot_pct:g} %).",
    )  # fmt: skip
    note = None
    if coverage + spot > 100:
        note = f"Commitment + spot exceed 100 %: spot is taken as {100 - coverage} %."
        spot = 100 - coverage
    return float(coverage), float(discount), float(spot), note


def _schedule(current: CapacityConfig) -> str:
    choices = list(dict.fromkeys([current.schedule, *SCHEDULES]))
    _start("sim_schedule", current.schedule)
    picked: str = st.selectbox(
        "On-hours schedule (UTC)", choices, key="sim_schedule",
        format_func=lambda s: "always on" if s == ALWAYS_ON else s,
    )  # fmt: skip
    return picked


def instance_choices(current: CapacityConfig, *, region: str, catalog: Catalog) -> list[str]:
    """The current family's types offered in the region, smallest first (current included)."""
    types = catalog.instance_types
    name = current.instance_type or ""
    family = name.split(".")[0]
    mask = (types.family == family) & catalog.offered_mask(region)
    order = np.argsort(types.vcpu[mask], kind="stable")
    found = [str(n) for n in types.name[mask][order]][:MAX_INSTANCE_CHOICES]
    return found if name in found else [name, *found]


def _instance_label(name: str, catalog: Catalog) -> str:
    spec = catalog.spec(name)
    return f"{name} ({spec.vcpu:g} vCPU, {formats.gib(spec.memory_gib)})"


def _start(key: str, value: object) -> None:
    """Start a lever at `value` through its session state, unless it is already set.

    Why not the widget's default: Streamlit identifies a keyed slider by its key (and range),
    so after another service is picked the browser keeps showing — and on the next lever move
    sends back — the last service's value, whatever the new default says: a 60 %-committed
    service was priced with the previous one's 0 %. A value set in session state is pushed to
    the browser.
    """
    if key not in st.session_state:
        st.session_state[key] = value


def _changed(value: float, now: float) -> float | None:
    return None if value == now else value
