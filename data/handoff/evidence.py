"""What a hand-off carries besides its patch: the recommendation's evidence (savings and their
basis, the SLA verdict, who approved) as JSON and markdown, and a VM's instance-type change."""

from __future__ import annotations

import json
from typing import Any

from data.models import ConfigChangeRow, RecommendationRow, ServiceRow
from engine.capacity import CapacityConfig


def evidence(
    rec: RecommendationRow | None, change: ConfigChangeRow, service: ServiceRow, action: str
) -> dict[str, Any]:
    """The facts a reviewer of the commit needs, all from stored rows (no recomputation)."""
    found: dict[str, Any] = {
        "action": action,
        "service": service.name,
        "service_slug": service.slug,
        "platform": service.platform,
        "region": service.region,
        "change_id": change.id,
        "config_before": change.before if action == "apply" else change.after,
        "config_after": change.after if action == "apply" else change.before,
        "approved_by": change.actor if action == "apply" else change.rolled_back_by,
        "approved_at": (change.applied_at if action == "apply" else change.rolled_back_at),
    }
    if rec is not None:
        found |= _recommendation(rec)
    found["approved_at"] = found["approved_at"].isoformat() if found["approved_at"] else None
    return found


def _recommendation(rec: RecommendationRow) -> dict[str, Any]:
    return {
        "recommendation_id": rec.id,
        "kind": rec.kind,
        "rule": rec.rule,
        "currency": rec.currency,
        "predicted_savings": {
            "monthly_savings_usd": round(float(rec.monthly_savings_usd), 2),
            "savings_pct": round(rec.savings_pct, 1),
            "basis": "effective monthly cost (list price less commitment and spot discounts) "
            "of the current and the proposed configuration, from the recompute that proposed it",
            "monthly_cost_current_effective_usd": round(
                float(rec.monthly_cost_current_effective_usd), 2
            ),
            "monthly_cost_proposed_effective_usd": round(
                float(rec.monthly_cost_proposed_effective_usd), 2
            ),
            "monthly_cost_current_list_usd": round(float(rec.monthly_cost_current_list_usd), 2),
            "monthly_cost_proposed_list_usd": round(float(rec.monthly_cost_proposed_list_usd), 2),
        },
        "sla_verdict": rec.sla_verdict,
        "risk_score": rec.risk_score,
        "confidence": rec.confidence,
        "reason": rec.decision_reason,
    }


def markdown(found: dict[str, Any], manifest: str, manifest_name: str) -> str:
    """The evidence as a page a reviewer reads in the pull request."""
    savings = found.get("predicted_savings") or {}
    sla = found.get("sla_verdict") or {}
    lines = [
        f"# Tightrope {found['action']}: {found['service']}",
        "",
        f"- Recommendation: {found.get('recommendation_id', '—')} ({found.get('kind', '—')})",
        f"- Approved by: {found['approved_by']} at {found['approved_at']}",
        f"- Platform / region: {found['platform']} / {found['region']}",
        f"- Predicted savings: {savings.get('monthly_savings_usd', '—')} "
        f"{found.get('currency', 'USD')}/month ({savings.get('savings_pct', '—')} %)",
        f"- Basis: {savings.get('basis', '—')}",
        f"- SLA verdict: {_sla_word(sla)}; reasons: {', '.join(sla.get('reasons', [])) or '—'}",
        "",
        f"The change itself is `{manifest_name}`:",
        "",
        "```yaml" if manifest_name.endswith(".yaml") else "```",
        manifest.rstrip(),
        "```",
        "",
        "Tightrope recorded this change and wrote this commit; it changed nothing in the "
        "cluster or the cloud. Merging (or applying) it is yours to do.",
        "",
        "Full evidence (JSON):",
        "",
        "```json",
        json.dumps(found, indent=2, sort_keys=True, default=str),
        "```",
        "",
    ]
    return "\n".join(lines)


def _sla_word(sla: dict[str, Any]) -> str:
    if not sla:
        return "not evaluated"
    return "kept" if sla.get("passes") else "NOT kept"


def vm_change(service: ServiceRow, before: CapacityConfig, after: CapacityConfig) -> str:
    """A VM change as a description (there is no manifest to patch): type, count, region."""
    return "\n".join(
        [
            f"# Instance change for {service.name}",
            "",
            f"- Provider / region: {service.provider} / {service.region}",
            f"- Instance type: {before.instance_type} → {after.instance_type}",
            f"- Instances: {before.replicas} → {after.replicas} (minimum {before.min_replicas}"
            f" → {after.min_replicas})",
            f"- Per instance: {before.vcpu_per_replica:g} vCPU / "
            f"{before.memory_gib_per_replica:g} GiB → {after.vcpu_per_replica:g} vCPU / "
            f"{after.memory_gib_per_replica:g} GiB",
            "",
            "Change the instance type in the template or IaC that owns these instances "
            "(Terraform, an autoscaling group's launch template …); a restart of each "
            "instance is needed.",
            "",
        ]
    )
