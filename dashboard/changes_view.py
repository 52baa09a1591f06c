"""Config changes and audit events as the frames the Changes page shows and exports (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from dashboard.components import formats, recs
from data.repos.changes import AuditEvent, ConfigChange
from data.repos.json_values import to_json
from data.repos.savings_report import config_summary

CHANGE_COLUMNS = (
    "change_id",
    "applied_at",
    "service_id",
    "service",
    "slug",
    "team",
    "environment",
    "platform",
    "changed",
    "before_summary",
    "after_summary",
    "before_config",
    "after_config",
    "actor",
    "actor_id",
    "reason",
    "recommendation_id",
    "recommendation_link",
    "status",
    "rolled_back_at",
    "rolled_back_by",
)
AUDIT_COLUMNS = (
    "event_id",
    "at",
    "actor",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "summary",
    "before",
    "after",
    "detail",
)
# (service name, team, environment, platform) by service id
ServiceNames = Mapping[int, tuple[str, str, str, str]]


def changes_frame(found: Sequence[ConfigChange], names: ServiceNames) -> pd.DataFrame:
    """One row per change; `changed` lists only the fields that differ (`Replicas: 3 → 2`)."""
    rows = [_change_row(change, names) for change in found]
    return pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))


def audit_frame(found: Sequence[AuditEvent]) -> pd.DataFrame:
    rows = [
        {
            "event_id": event.id,
            "at": event.at,
            "actor": who(event.actor, event.actor_display),
            "actor_id": event.actor,
            "action": event.action,
            "target_type": event.target_type,
            "target_id": event.target_id,
            "summary": _event_summary(event),
            "before": _compact(event.before),
            "after": _compact(event.after),
            "detail": _compact(event.detail),
        }
        for event in found
    ]
    return pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))


def changes_export(frame: pd.DataFrame) -> pd.DataFrame:
    """The changes table for CSV: readable headers, ISO times, numeric ids."""
    columns = {
        "change_id": "Change ID",
        "applied_at": "Applied at (UTC)",
        "service": "Service",
        "slug": "Service slug",
        "team": "Team",
        "changed": "Changed fields",
        "before_summary": "Before",
        "after_summary": "After",
        "actor": "Applied by",
        "actor_id": "Applied by (ID)",
        "reason": "Reason",
        "recommendation_id": "Recommendation ID",
        "status": "Status",
        "rolled_back_at": "Rolled back at (UTC)",
        "rolled_back_by": "Rolled back by",
    }
    exported = _for_csv(frame, columns, times=("Applied at (UTC)", "Rolled back at (UTC)"))
    exported["Recommendation ID"] = exported["Recommendation ID"].astype("Int64")
    return exported


def audit_export(trail: pd.DataFrame) -> pd.DataFrame:
    """The audit trail for CSV: readable headers, ISO times, before/after/detail as JSON."""
    columns = {
        "event_id": "Event ID",
        "at": "At (UTC)",
        "actor": "Actor",
        "actor_id": "Actor ID",
        "action": "Action",
        "target_type": "Target type",
        "target_id": "Target ID",
        "summary": "Summary",
        "before": "Before (JSON)",
        "after": "After (JSON)",
        "detail": "Detail (JSON)",
    }
    return _for_csv(trail, columns, times=("At (UTC)",))


def _for_csv(
    frame: pd.DataFrame, headers: dict[str, str], *, times: tuple[str, ...]
) -> pd.DataFrame:
    """The `headers` columns under their readable names, the `times` among them as ISO text."""
    exported = frame[list(headers)].rename(columns=headers)
    for column in times:
        exported[column] = exported[column].map(formats.iso)
    return exported


def _change_row(change: ConfigChange, names: ServiceNames) -> dict[str, Any]:
    name, team, environment, platform = names.get(
        change.service_id, (change.service_slug, "", "", "")
    )
    before, after = to_json(change.before), to_json(change.after)
    rec_id = change.recommendation_id
    return {
        "change_id": change.id,
        "applied_at": change.applied_at,
        "service_id": change.service_id,
        "service": name,
        "slug": change.service_slug,
        "team": team,
        "environment": environment,
        "platform": platform,
        "changed": recs.diff_text(before, after),
        "before_summary": config_summary(change.before),
        "after_summary": config_summary(change.after),
        "before_config": before,
        "after_config": after,
        "actor": who(change.actor, change.actor_display),
        "actor_id": change.actor,
        "reason": change.reason or "",
        "recommendation_id": rec_id,
        "recommendation_link": f"/recommendations?rec={rec_id}" if rec_id is not None else None,
        "status": change.status,
        "rolled_back_at": change.rolled_back_at,
        "rolled_back_by": who(change.rolled_back_by or "", change.rolled_back_by_display),
    }


def who(actor: str, display: str) -> str:
    """The actor as people read it: the e-mail they logged in with, beside the stable id the
    audit trail keeps (`ana@example.com (https://idp.example.com|248289761001)`)."""
    if not display or display == actor:
        return actor
    return f"{display} ({actor})"


def _event_summary(event: AuditEvent) -> str:
    """What happened in words: status move and config diff, when the event carries them."""
    before, after = event.before or {}, event.after or {}
    detail = event.detail if isinstance(event.detail, dict) else {}
    if event.action == "denied":  # data/guard.py: who tried what, with which role
        return (
            f"refused: {detail.get('attempted', '?')} needs {detail.get('needed', '?')}, "
            f"{event.actor} is {detail.get('role', '?')}"
        )
    parts = []
    if before.get("status") != after.get("status") and after.get("status"):
        parts.append(f"status {before.get('status') or '—'} → {after['status']}")
    if isinstance(before.get("config"), dict) and isinstance(after.get("config"), dict):
        parts.append(recs.diff_text(before["config"], after["config"]))
    reason = detail.get("reason")
    if reason:
        parts.append(f"reason: {reason}")
    return "; ".join(parts)


def _compact(value: Any) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"))
