"""Pure text of the Recommendations page: labels, verdicts, explanation lines (no widgets)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from dashboard.components import formats
from dashboard.components.charts import SATURATED_LABEL
from data.repos import savings_report
from data.repos.stored_recommendations import StoredRecommendation

TYPE_LABELS = savings_report.ACTION_TYPES


def restores_text(totals: savings_report.BacklogTotals, currency: str) -> str | None:
    if not totals.restore_sla_open:
        return None
    increase = formats.money_compact(totals.restore_sla_cost_increase, currency)
    plural = "s" if totals.restore_sla_open != 1 else ""
    return f"{totals.restore_sla_open} SLA restore{plural}: +{increase}/mo"


def effect(savings: float, currency: str) -> str:
    """`$22/mo` saved, or `+$73/mo cost` for a change that costs more (a restore)."""
    if savings < 0:
        return f"+{formats.money(-savings, currency)}/mo cost"
    return f"{formats.money(savings, currency)}/mo"


def labels(board: pd.DataFrame) -> dict[int, str]:
    """The picker's label of each recommendation of the backlog, by id."""
    columns = ["recommendation_id", "service", "action_type", "monthly_savings", "currency"]
    # No status in the label: a select box keeps an option's first label while its key lives.
    return {
        int(rid): f"#{rid} · {service} · {action} · {effect(float(savings), str(currency))}"
        for rid, service, action, savings, currency in board[columns].itertuples(
            index=False, name=None
        )
    }


def decision_text(row: pd.Series) -> str:
    if pd.isna(row["decided_by"]) or row["decided_by"] is None:
        return ""
    text = f" · decided by {row['decided_by']}"
    if formats.when(row["decided_at"]):
        text += f" at {formats.when(row['decided_at'])} UTC"
    if isinstance(row["decision_reason"], str) and row["decision_reason"]:
        text += f" — “{row['decision_reason']}”"
    return text


def verdict_word(rec: StoredRecommendation) -> str:
    if rec.sla is None:
        return "no SLA check (not a capacity change)" if rec.kind == "commitment" else "not judged"
    return "✓ keeps the SLA" if rec.sla.passes else "✗ SLA not kept — see reasons"


def no_verdict_text(rec: StoredRecommendation) -> str:
    if rec.kind == "commitment":
        return "A commitment changes prices, not capacity: the SLA is not affected."
    sla = rec.explanation.fact("sla")
    why = sla if isinstance(sla, str) else "not judged by the SLA engine"
    return f"SLA {why}. Confirm nobody depends on the service before applying."


def latency_text(rec: StoredRecommendation, target: float | None) -> str:
    """`, projected p95 120 ms (target 200 ms)`; nothing without an SLA verdict."""
    if rec.sla is None:
        return ""
    text = f", projected p95 {ms(rec.sla.projected_p95_ms)}"
    return text + (f" (target {target:,.0f} ms)" if target else "")


def ms(value: float) -> str:
    if value != value:
        return "not modelled"
    return "unbounded (saturated)" if value == float("inf") else f"{value:,.0f} ms"


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def as_dict(config: Any) -> dict[str, Any] | None:
    """A CapacityConfig as the JSON dict the change log stores (same field names)."""
    if config is None:
        return None
    return {name: getattr(config, name) for name in config.__slots__}


def with_saturated_hours(title: str, saturated: list[npt.NDArray[np.bool_]]) -> str:
    """`Projected p95 latency: saturated (ρ ≥ 1) 0 h now → 84 h proposed` when either config
    saturates: the counts first, where a half-width chart does not cut them off."""
    if not any(mask.any() for mask in saturated):
        return title
    now, proposed = (int(mask.sum()) for mask in saturated)
    return (
        f"Projected p95 latency: {SATURATED_LABEL.lower()} {now:,} h now → {proposed:,} h proposed"
    )


def explanation_text(rec: StoredRecommendation) -> str:
    """The computed reasons as sentences: rule, agreeing rules, profile, confidence, history."""
    details = rec.explanation
    parts = []
    if details.why is not None:
        parts.append(details.why)
    if details.agreeing_rules is not None and len(details.agreeing_rules) > 1:
        rules = ", ".join(TYPE_LABELS.get(r, r) for r in details.agreeing_rules)
        parts.append(f"proposed alike by the rules {rules}; offered once")
    if (profile := details.profile) is not None:
        parts.append(
            f"{profile.name} profile: CPU p{profile.cpu_percentile:g} + "
            f"{profile.cpu_headroom_pct:g} % headroom, memory max + "
            f"{profile.memory_headroom_pct:g} %"
        )
    if rec.confidence is not None:
        conf = rec.confidence
        band = ""
        if conf.lower is not None and conf.upper is not None:
            band = f"; confidence band {conf.lower:,.2f} – {conf.upper:,.2f} {conf.unit}"
        points = "CPU samples" if conf.unit == "samples" else "hourly points"
        parts.append(f"based on {conf.points:,} {points} over {conf.days:g} days{band}")
    if (window := details.window) is not None:
        first, last = window.first_hour_utc.isoformat(), window.last_hour_utc.isoformat()
        parts.append(f"history {first} to {last} (UTC)")
    return " ".join(f"{part[:1].upper()}{part[1:]}." for part in parts)
