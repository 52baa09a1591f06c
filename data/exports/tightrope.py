"""Tightrope's own export schema: the full recommendation (json, yaml) and the flat report (csv).

Money is `{"amount": "123.45", "currency": "USD"}` (a decimal string, as the REST API writes it)
and every cost names its basis: a recommendation's costs and savings are `modelled` (what the
cost model prices a configuration at), never billed. A restore_sla is a cost, not a saving: its
predicted savings are null and its monthly cost increase has its own field (as in the report).
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from data.repos.backlog_snapshot import BacklogItem
from data.repos.savings_report import savings_report
from engine.capacity import CapacityConfig
from engine.recommendation import Money, SlaSummary, is_savings_kind
from engine.service import Service

BASIS = "modelled"
COUNTED_COLUMN = "Counted in open savings total"


def tightrope_record(item: BacklogItem, row: dict[str, Any]) -> dict[str, Any]:
    """One recommendation in full, from its stored values and its backlog-frame row."""
    rec = item.rec
    saving = is_savings_kind(rec.kind)
    return {
        "id": rec.id, "version": rec.version, "status": rec.status, "kind": rec.kind,
        "action_type": row["action_type"], "rule": rec.rule, "scope": rec.scope,
        "service": _service(item.service), "team": row["team"],
        "current_configuration": _config(rec.current),
        "recommended_configuration": _config(rec.proposed),
        "current_summary": row["current_summary"], "recommended_summary": row["proposed_summary"],
        "monthly_cost_current": _modelled(rec.cost_current, rec.currency),
        "monthly_cost_recommended": _modelled(rec.cost_proposed, rec.currency),
        "predicted_monthly_savings": (
            _money(rec.monthly_savings_usd, rec.currency, basis=BASIS) if saving else None
        ),
        "predicted_savings_pct": _finite(round(rec.savings_pct, 2)) if saving else None,
        "predicted_monthly_cost_increase": (
            None if saving else _money(rec.monthly_cost_increase_usd, rec.currency, basis=BASIS)
        ),
        "counted_in_open_savings": bool(row["counted_in_open_savings"]),
        "risk": {"score": rec.risk.score, "label": rec.risk.label,
                 "sub_scores": dict(sorted(rec.risk.sub_scores.items()))},
        "sla": _sla(rec.sla),
        "effort": rec.effort, "restart_needed": rec.restart_needed,
        "rollback_possible": rec.rollback_possible, "reason": rec.reason,
        "created_at": _iso(rec.created_at), "updated_at": _iso(rec.updated_at),
        "decided_by": item.decided_by, "decided_at": _iso(item.decided_at),
        "decision_reason": rec.decision_reason, "postponed_until": _iso(rec.postponed_until),
        "suppressed_until": _iso(rec.suppressed_until),
    }  # fmt: skip


def tightrope_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The savings report the Recommendations page downloads, plus whether the page's open
    savings total counts each row (so summing the flagged rows gives that total)."""
    report = savings_report(frame)
    report[COUNTED_COLUMN] = frame["counted_in_open_savings"].map(_yes_no).to_numpy()
    return report


def _service(service: Service | None) -> dict[str, Any] | None:
    if service is None:
        return None
    return {
        "id": service.id, "slug": service.slug, "name": service.name, "team": service.team,
        "environment": service.environment, "platform": service.platform,
        "provider": service.provider, "region": service.region,
        "policy_class": service.policy_class,
    }  # fmt: skip


def _config(config: CapacityConfig | None) -> dict[str, Any] | None:
    return None if config is None else dataclasses.asdict(config)


def _modelled(money: Money, currency: str) -> dict[str, Any]:
    return {
        "basis": BASIS,
        "list_cost": _money(money.list_usd, currency),
        "effective_cost": _money(money.effective_usd, currency),
    }


def _money(value: float, currency: str, *, basis: str | None = None) -> dict[str, str]:
    # numpy's rounding, as the savings report's: the json, yaml and csv agree to the cent.
    amount = {"amount": f"{np.round(float(value), 2):.2f}", "currency": currency}
    return amount if basis is None else {**amount, "basis": basis}


def _sla(sla: SlaSummary | None) -> dict[str, Any] | None:
    if sla is None:
        return None
    return {
        "passes": sla.passes,
        "projected_p95_ms": _finite(sla.projected_p95_ms),
        "hours_within_target_pct": _finite(sla.hours_within_target_pct),
        "peak_utilization_pct": _finite(sla.peak_utilization * 100.0),
        "n_plus_one_ok": sla.n_plus_one_ok,
        "availability_ok": sla.availability_ok,
        "reasons": list(sla.reasons),
    }


def _finite(value: float) -> float | None:
    """JSON has no NaN: a value the engine could not judge is null."""
    return float(value) if math.isfinite(value) else None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _yes_no(value: Any) -> str:
    return "Yes" if bool(value) else "No"
