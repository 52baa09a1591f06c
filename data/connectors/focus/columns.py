"""FOCUS column vocabulary: 1.2 names inside, 1.0–1.3 names (and their renames) accepted outside."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Without these the cost figures cannot be computed, dated, allocated or kept apart by currency.
MONEY_COLUMNS = (
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "BillingCurrency",
    "BillingAccountId",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ServiceCategory",
    "ProviderName",
)
# Mandatory in the spec but not needed for the figures: missing ones are warnings.
DESCRIPTIVE_MANDATORY = (
    "ContractedCost",
    "ChargeClass",
    "ChargeDescription",
    "ServiceName",
    "PricingQuantity",
    "PricingUnit",
    "BillingAccountName",
    "InvoiceIssuerName",
    "PublisherName",
)
# Read when present: allocation, enumeration checks and commitment maths.
OPTIONAL_COLUMNS = (
    "ChargeClass",
    "ChargeFrequency",
    "PricingCategory",
    "SubAccountId",
    "ResourceId",
    "Tags",
    "CommitmentDiscountId",
    "CommitmentDiscountStatus",
    "CommitmentDiscountName",
    "CommitmentDiscountType",
)
_KNOWN = """
    AvailabilityZone BilledCost BillingAccountId BillingAccountName BillingAccountType
    BillingCurrency BillingPeriodEnd BillingPeriodStart CapacityReservationId
    CapacityReservationStatus ChargeCategory ChargeClass ChargeDescription ChargeFrequency
    ChargePeriodEnd ChargePeriodStart CommitmentDiscountCategory CommitmentDiscountId
    CommitmentDiscountName CommitmentDiscountQuantity CommitmentDiscountStatus
    CommitmentDiscountType CommitmentDiscountUnit ConsumedQuantity ConsumedUnit ContractedCost
    ContractedUnitPrice EffectiveCost InvoiceId InvoiceIssuerName ListCost ListUnitPrice
    PricingCategory PricingCurrency PricingCurrencyContractedUnitPrice
    PricingCurrencyEffectiveCost PricingCurrencyListUnitPrice PricingQuantity PricingUnit
    ProviderName PublisherName RegionId RegionName ResourceId ResourceName ResourceType
    ServiceCategory ServiceName ServiceSubcategory SkuId SkuMeter SkuPriceDetails SkuPriceId
    SubAccountId SubAccountName SubAccountType Tags
    ServiceProviderName HostProviderName ContractApplied AllocatedMethodId AllocatedMethodDetails
    AllocatedResourceId AllocatedResourceName AllocatedTags
"""
KNOWN_COLUMNS = frozenset(_KNOWN.split())
# Older or newer spellings → the 1.2 name (focus.md "Renames").
ALIASES = {
    "AmortizedCost": "EffectiveCost",
    "ChargeType": "ChargeCategory",
    "UsageQuantity": "ConsumedQuantity",
    "UsageUnit": "ConsumedUnit",
    "Region": "RegionId",
    "ServiceProviderName": "ProviderName",
}
_VERSION_MARKERS = (
    ("1.3", ("ServiceProviderName", "HostProviderName", "ContractApplied", "AllocatedMethodId")),
    ("1.2", ("InvoiceId", "PricingCurrency", "BillingAccountType", "SubAccountType")),
    ("1.1", ("SkuPriceDetails", "SkuMeter", "ServiceSubcategory", "CapacityReservationId")),
)


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """How a file's header maps onto FOCUS 1.2 names."""

    source_by_name: dict[str, str]  # 1.2 name → the header cell that carries it
    unknown: tuple[str, ...]  # header cells that are neither FOCUS nor x_ custom columns
    focus_version: str

    def missing(self, names: Sequence[str]) -> list[str]:
        return [name for name in names if name not in self.source_by_name]


def map_columns(header: Sequence[str]) -> ColumnMap:
    """Match header cells case-insensitively (trimmed); a 1.2 name wins over its alias."""
    by_key = {name.lower(): name for name in KNOWN_COLUMNS | set(ALIASES)}
    source_by_name: dict[str, str] = {}
    unknown = []
    for cell in header:
        spelled = by_key.get(cell.strip().lower())
        if spelled is None:
            if not cell.strip().lower().startswith("x_"):
                unknown.append(cell)
            continue
        canonical = ALIASES.get(spelled, spelled)
        if canonical not in source_by_name or spelled == canonical:
            source_by_name[canonical] = cell
    present = {by_key[cell.strip().lower()] for cell in header if cell.strip().lower() in by_key}
    return ColumnMap(source_by_name, tuple(unknown), detect_version(present))


def detect_version(present: set[str]) -> str:
    """The newest FOCUS version whose added columns appear; 1.0 when none does."""
    for version, markers in _VERSION_MARKERS:
        if present.intersection(markers):
            return version
    return "1.0"


def wanted_columns(*, resource_ids: bool = True) -> tuple[str, ...]:
    """Every 1.2 name the ingest reads, in a stable order; ResourceId only when `resource_ids`
    (only ResourceId patterns read it: skipping it saves converting and encoding a column of
    mostly distinct values)."""
    names = tuple(dict.fromkeys(MONEY_COLUMNS + OPTIONAL_COLUMNS))
    return names if resource_ids else tuple(name for name in names if name != "ResourceId")
