"""The schema: typed SQLAlchemy 2.0 rows (`...Row`), one module per area, importable from here."""

from data.models.base import LIVE_RECOMMENDATION, NAMING_CONVENTION, Base, Json
from data.models.billing import (
    BillingScopeRow,
    CommitmentDailyRow,
    CostAnomalyRow,
    CostDailyRow,
    DeliveryPartRow,
    IngestedFileRow,
)
from data.models.budgets import BudgetAlertRow, BudgetRow
from data.models.catalog import CapacityConfigRow, ServiceRow, UsageHourlyRow
from data.models.handoff import HandoffRow
from data.models.jobs import JobRequestRow, JobRunRow
from data.models.kube_allocation import ALLOCATION_BASIS, KubeAllocationRow, KubeClusterCostRow
from data.models.kubernetes import (
    KubeContainerRow,
    KubeDiscoveryRow,
    KubeHpaRow,
    KubeNodeRow,
    KubeWorkloadRow,
)
from data.models.outbox import OutboxEventRow, WebhookDeliveryRow
from data.models.people import ApiKeyRow, AppUserRow, AuditEventRow
from data.models.rollups import (
    CostRollupStateRow,
    ScopeCostSeriesRow,
    ServiceCostDailyRow,
    ServiceUsage7dRow,
)
from data.models.sizing import KubeContainerSizingRow
from data.models.workflow import ConfigChangeRow, RecommendationRow, RuleOutcomeRow, SimulationRow

__all__ = [
    "ALLOCATION_BASIS",
    "LIVE_RECOMMENDATION",
    "NAMING_CONVENTION",
    "ApiKeyRow",
    "AppUserRow",
    "AuditEventRow",
    "Base",
    "BillingScopeRow",
    "BudgetAlertRow",
    "BudgetRow",
    "CapacityConfigRow",
    "CommitmentDailyRow",
    "ConfigChangeRow",
    "CostAnomalyRow",
    "CostDailyRow",
    "CostRollupStateRow",
    "DeliveryPartRow",
    "HandoffRow",
    "IngestedFileRow",
    "JobRequestRow",
    "JobRunRow",
    "Json",
    "KubeAllocationRow",
    "KubeClusterCostRow",
    "KubeContainerRow",
    "KubeContainerSizingRow",
    "KubeDiscoveryRow",
    "KubeHpaRow",
    "KubeNodeRow",
    "KubeWorkloadRow",
    "OutboxEventRow",
    "RecommendationRow",
    "RuleOutcomeRow",
    "ScopeCostSeriesRow",
    "ServiceCostDailyRow",
    "ServiceRow",
    "ServiceUsage7dRow",
    "SimulationRow",
    "UsageHourlyRow",
    "WebhookDeliveryRow",
]
