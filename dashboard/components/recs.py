"""How recommendations and config changes read: risk badges, status words, config diffs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.components import formats, markdown_table
from engine.recommendation import is_savings_kind
from engine.risk import RISK_LABELS

# Icon + words + number: colour is never the only signal.
_RISK_ICONS = ("✓", "✓", "●", "▲", "⚠")
RISK_BADGES = {
    score: f"{_RISK_ICONS[score]} {score} {label}" for score, label in enumerate(RISK_LABELS)
}
_RISK_COLORS = ("#2E9E5B", "#2E9E5B", "#C98A00", "#D9622B", "#D93F3F")
# The same scale in Streamlit's badge colours, for tables drawn as markdown.
_RISK_BADGE_COLORS: tuple[markdown_table.BadgeColor, ...] = (
    "green", "green", "yellow", "orange", "red",
)  # fmt: skip
STATUSES = ("open", "postponed", "applied", "rejected", "rolled_back", "superseded", "expired")
STATUS_LABELS = {
    "open": "Open",
    "postponed": "Postponed",
    "applied": "Applied",
    "rejected": "Rejected",
    "rolled_back": "Rolled back",
    "superseded": "Superseded",
    "expired": "Expired",
}
SUB_SCORE_LABELS = {
    "cpu_headroom": "CPU headroom",
    "memory": "Memory",
    "latency": "Latency SLA",
    "error_saturation": "Error / saturation",
    "availability": "Availability (N+1)",
}
# Config fields in reading order, with their labels (JSON keys of engine CapacityConfig).
_CONFIG_LABELS = {
    "instance_type": "Instance type",
    "cpu_request_cores": "CPU request / pod",
    "memory_request_gib": "Memory request / pod",
    "replicas": "Replicas",
    "min_replicas": "Min replicas",
    "zones": "Zones",
    "vcpu_per_replica": "vCPU / replica",
    "memory_gib_per_replica": "Memory / replica",
    "commitment_coverage_pct": "Committed",
    "spot_pct": "Spot",
    "schedule": "Schedule",
    "platform": "Platform",
}

_POD_DERIVED = ("vcpu_per_replica", "memory_gib_per_replica")


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One config field that differs between two configs, both sides formatted."""

    label: str
    before: str
    after: str


def risk_badge(score: int) -> str:
    return RISK_BADGES[int(score)]


def risk_badge_markdown(score: int) -> str:
    """The risk badge as a coloured markdown badge (icon, number and words inside)."""
    return markdown_table.badge(RISK_BADGES[int(score)], _RISK_BADGE_COLORS[int(score)])


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def with_risk_tags(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Only `columns`, plus `risk_tag`: the risk badge as a one-item list that `risk_column`
    draws as a coloured tag (icon, number and words carry the meaning, the colour repeats it).

    Why not a pandas Styler colouring `risk_badge`: Streamlit then renders and sends every
    cell twice (values and display strings) plus a CSS rule per row (0.3 s of the server's CPU
    at 1,000 rows, so it was skipped above 1,000 and big backlogs lost their colours), and
    the Styler's first use loads its templates during a page's first visit."""
    visible = frame[list(columns)]
    tags = pd.Series([[badge] for badge in visible["risk_badge"]], index=visible.index)
    return visible.assign(risk_tag=tags.astype(object))


def risk_column(label: str = "Risk", *, help: str | None = None) -> Any:
    """The `risk_tag` column: each risk's badge in its colour."""
    return st.column_config.MultiselectColumn(
        label, options=list(RISK_BADGES.values()), color=list(_RISK_COLORS), help=help
    )


def config_fields(config: Mapping[str, Any] | None) -> dict[str, str]:
    """A stored config (CapacityConfig as JSON) as label → formatted value; unset fields omitted."""
    if not config:
        return {}
    # A pod's per-replica capacity is its request: listing both would say the same twice.
    derived = _POD_DERIVED if config.get("platform") == "kubernetes" else ()
    return {
        label: _format(key, config[key])
        for key, label in _CONFIG_LABELS.items()
        if config.get(key) is not None and key not in derived
    }


def changed_fields(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> list[FieldChange]:
    """Only the fields whose value differs (a field missing on one side shows as —)."""
    old, new = config_fields(before), config_fields(after)
    return [
        FieldChange(label, old.get(label, "—"), new.get(label, "—"))
        for label in _CONFIG_LABELS.values()
        if old.get(label) != new.get(label)
    ]


def diff_text(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str:
    """`Instance type: m5.large → m5a.large; Replicas: 3 → 2` (plain text, for tables)."""
    changes = changed_fields(before, after)
    if not changes:
        return "no config change"
    return "; ".join(f"{c.label}: {c.before} → {c.after}" for c in changes)


def money_column(label: str, currencies: pd.Series, help: str | None = None) -> Any:
    """A signed money column: `+649` / `-8`, the currency in the header (`Savings (USD/mo)`).

    A printf `$%,.0f` would print a cost increase as `$-8`; the explicit sign reads better
    where negative savings (changes that cost more) sit next to positive ones.
    """
    present = sorted(str(c) for c in currencies.dropna().unique())
    unit = present[0] if len(present) == 1 else "mixed currencies"
    return st.column_config.NumberColumn(f"{label} ({unit}/mo)", format="%+,.0f", help=help)


def with_money_effect(frame: pd.DataFrame) -> pd.DataFrame:
    """The backlog with `savings` and `savings_pct` (savings kinds only) and `cost_increase`
    (restore_sla only) to show: a restore's cost is never displayed as a negative saving."""
    saving = frame["kind"].map(is_savings_kind).astype(bool)
    return frame.assign(
        savings=frame["monthly_savings"].where(saving),
        savings_pct=frame["savings_pct"].where(saving),
        cost_increase=frame["monthly_cost_increase"].where(~saving),
    )


def money_effect_columns(currencies: pd.Series) -> dict[str, Any]:
    """column_config for `with_money_effect`'s two columns."""
    return {
        "savings": money_column(
            "Savings", currencies, help="Effective monthly savings (730 h); empty for a restore."
        ),
        "cost_increase": money_column(
            "Cost increase",
            currencies,
            help="Restore SLA: what keeping the SLA costs on top, per month. Never counted "
            "in the savings.",
        ),
    }


def _format(key: str, value: Any) -> str:
    if key in ("cpu_request_cores", "vcpu_per_replica"):
        return formats.cores(float(value)) if key == "cpu_request_cores" else f"{value:g}"
    if key in ("memory_request_gib", "memory_gib_per_replica"):
        return formats.gib(float(value))
    if key in ("commitment_coverage_pct", "spot_pct"):
        return f"{float(value):.0f} %"
    if key == "schedule" and value == "always":
        return "always on"
    return str(value)
