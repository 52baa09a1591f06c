"""Tightrope recommendations in AWS Cost Optimization Hub's Recommendation schema (docs/exports.md).

Field names, order and enumerations are those of COH's `ListRecommendations` Recommendation
object (API version 2022-07-26, botocore's cost-optimization-hub model). What Tightrope has no
value for (account, ARN, source) stays null rather than invented; what COH has no field for
(status, team, SLA verdict, risk ...) travels as `tightrope:`-prefixed tags.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

from data.repos.backlog_snapshot import BacklogItem
from engine.capacity import CapacityConfig
from engine.recommendation import is_savings_kind

# The Recommendation object's members, in the model's order.
COH_FIELDS = (
    "recommendationId",
    "accountId",
    "region",
    "resourceId",
    "resourceArn",
    "currentResourceType",
    "recommendedResourceType",
    "estimatedMonthlySavings",
    "estimatedSavingsPercentage",
    "estimatedMonthlyCost",
    "currencyCode",
    "implementationEffort",
    "restartNeeded",
    "actionType",
    "rollbackPossible",
    "currentResourceSummary",
    "recommendedResourceSummary",
    "lastRefreshTimestamp",
    "recommendationLookbackPeriodInDays",
    "source",
    "tags",
)
# COH's enumerations (ActionType, ImplementationEffort, ResourceType, Source).
ACTION_TYPES = (
    "Rightsize",
    "Stop",
    "Upgrade",
    "PurchaseSavingsPlans",
    "PurchaseReservedInstances",
    "MigrateToGraviton",
    "Delete",
    "ScaleIn",
)
IMPLEMENTATION_EFFORTS = ("VeryLow", "Low", "Medium", "High", "VeryHigh")
RESOURCE_TYPES = (
    "Ec2Instance",
    "LambdaFunction",
    "EbsVolume",
    "EcsService",
    "Ec2AutoScalingGroup",
    "Ec2InstanceSavingsPlans",
    "ComputeSavingsPlans",
    "SageMakerSavingsPlans",
    "Ec2ReservedInstances",
    "RdsReservedInstances",
    "OpenSearchReservedInstances",
    "RedshiftReservedInstances",
    "ElastiCacheReservedInstances",
    "RdsDbInstanceStorage",
    "RdsDbInstance",
    "AuroraDbClusterStorage",
    "DynamoDbReservedCapacity",
    "MemoryDbReservedInstances",
    "NatGateway",
)
# Tightrope kind -> COH actionType; rightsize and joint become MigrateToGraviton when the
# proposal moves an x86 instance type to a Graviton one (see _action_type).
KIND_ACTIONS = {
    "rightsize": "Rightsize",
    "joint": "Rightsize",
    "container_rightsize": "Rightsize",
    "horizontal": "ScaleIn",
    "idle": "Stop",
    "off_hours": "Stop",
    "commitment": "PurchaseSavingsPlans",
    "restore_sla": "Upgrade",
}
EFFORTS = {"very low": "VeryLow", "low": "Low", "medium": "Medium", "high": "High"}
# AWS names Graviton families with a `g` after the generation (m6g, c7gn, r8gd, t4g, im4gn),
# but for the first one, a1; tests/data/test_exports.py checks this against the catalog.
GRAVITON_TYPE = re.compile(r"^(a1|[a-z]+\d+g[a-z]*)\.")
TAG_PREFIX = "tightrope:"


def coh_record(item: BacklogItem, row: dict[str, Any]) -> dict[str, Any]:
    """One COH Recommendation of a stored recommendation and its backlog-frame row."""
    rec, service = item.rec, item.service
    saving = is_savings_kind(rec.kind)
    resource_type = _resource_type(rec.kind, rec.current)
    return {
        "recommendationId": str(rec.id),
        "accountId": None,
        "region": service.region if service is not None else None,
        "resourceId": service.slug if service is not None else rec.scope,
        "resourceArn": None,
        "currentResourceType": resource_type,
        "recommendedResourceType": resource_type,
        "estimatedMonthlySavings": _money(rec.monthly_savings_usd) if saving else 0.0,
        "estimatedSavingsPercentage": _number(rec.savings_pct) if saving else 0.0,
        "estimatedMonthlyCost": _money(rec.cost_current.effective_usd),
        "currencyCode": rec.currency,
        "implementationEffort": EFFORTS.get(rec.effort, "Medium"),
        "restartNeeded": rec.restart_needed,
        "actionType": _action_type(rec.kind, rec.current, rec.proposed),
        "rollbackPossible": rec.rollback_possible,
        "currentResourceSummary": row["current_summary"] or None,
        "recommendedResourceSummary": row["proposed_summary"] or None,
        "lastRefreshTimestamp": rec.updated_at.isoformat(),
        "recommendationLookbackPeriodInDays": _lookback_days(item),
        "source": None,
        "tags": _tags(item, row),
    }


def coh_csv_row(record: dict[str, Any]) -> dict[str, Any]:
    """The record as a flat CSV row: tags as a JSON array, booleans as true/false."""
    flat = dict(record)
    flat["tags"] = json.dumps(record["tags"], ensure_ascii=False)
    for name in ("restartNeeded", "rollbackPossible"):
        flat[name] = "true" if record[name] else "false"
    return flat


def _lookback_days(item: BacklogItem) -> int | None:
    """The days of usage behind the decision (the confidence's), when it has them."""
    confidence = item.rec.confidence
    if confidence is None or not math.isfinite(confidence.days):
        return None
    return round(confidence.days)


def _action_type(kind: str, current: CapacityConfig | None, proposed: CapacityConfig | None) -> str:
    if kind in ("rightsize", "joint") and _to_graviton(current, proposed):
        return "MigrateToGraviton"
    return KIND_ACTIONS[kind]


def _to_graviton(current: CapacityConfig | None, proposed: CapacityConfig | None) -> bool:
    if current is None or proposed is None or current.platform != "vm":
        return False
    return not is_graviton(current.instance_type) and is_graviton(proposed.instance_type)


def is_graviton(instance_type: str | None) -> bool:
    """Whether an EC2 instance type is a Graviton (arm64) one, by AWS's naming."""
    return bool(instance_type and GRAVITON_TYPE.match(instance_type))


def _resource_type(kind: str, current: CapacityConfig | None) -> str:
    """A commitment buys a Compute Savings Plan; a pod workload is the nearest COH container
    service (EcsService); a VM service is one instance or a group of identical ones."""
    if kind == "commitment" or current is None:
        return "ComputeSavingsPlans"
    if current.platform == "kubernetes":
        return "EcsService"
    return "Ec2AutoScalingGroup" if current.replicas > 1 else "Ec2Instance"


def _tags(item: BacklogItem, row: dict[str, Any]) -> list[dict[str, str]]:
    rec, service = item.rec, item.service
    values: dict[str, Any] = {
        "source": "tightrope",
        "status": rec.status,
        "version": rec.version,
        "kind": rec.kind,
        "service": service.name if service is not None else row["service"],
        "team": row["team"],
        "environment": service.environment if service is not None else None,
        "platform": service.platform if service is not None else None,
        "provider": service.provider if service is not None else None,
        "riskScore": rec.risk.score,
        "slaPasses": None if rec.sla is None else str(rec.sla.passes).lower(),
        "predictedP95Ms": None if rec.sla is None else _number(rec.sla.projected_p95_ms, 0),
        "savingsBasis": "modelled",
        "countedInOpenSavings": str(bool(row["counted_in_open_savings"])).lower(),
        "monthlyCostIncrease": (
            None if is_savings_kind(rec.kind) else _money(rec.monthly_cost_increase_usd)
        ),
    }
    return [
        {"key": TAG_PREFIX + key, "value": str(value)}
        for key, value in values.items()
        if value is not None
    ]


def _money(value: float) -> float:
    return _number(value, 2) or 0.0


def _number(value: float, digits: int = 2) -> float | None:
    """Rounded as the savings report rounds (numpy's), so the two exports agree to the cent."""
    return float(np.round(float(value), digits)) if math.isfinite(value) else None
