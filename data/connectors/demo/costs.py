"""Daily costs of demo services, priced from their config and the catalog, exported as FOCUS 1.2."""

from __future__ import annotations

import functools
import json
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from data.connectors.demo.fleet import DemoService
from data.repos.costs import DailyCost
from engine.arrays import FloatArray
from engine.catalog import Catalog
from engine.cost import running_cost, running_mask
from engine.units import HOURS_PER_MONTH
from engine.usage import UsageWindow

CURRENCY = "USD"
PROVIDERS = {"vm": "AWS", "kubernetes": "Google Cloud"}
CATEGORIES = ("Compute", "Storage", "Networking", "Other")
STORAGE_USD_PER_GIB_MONTH = 0.08  # gp3 block storage list price, us-east-1
# Monitoring, public IPs, log ingestion...: a small share of compute plus a flat daily floor.
_OTHER_SHARE_OF_COMPUTE = 0.02
_OTHER_USD_PER_DAY = 0.05
# Charges nobody's tag claims, as a share of a provider's allocated monthly spend.
# (category, share): a support plan, and shared NAT gateways and transit.
# A few services now and then move far more data than usual (a backfill, a misrouted client):
# the cost anomalies the Budgets page should find. Fixed per (service, date), so a restated
# month reproduces them.
_SURGE_SERVICES = 25  # one service in 25 …
_SURGE_DAYS = 30  # … surges on about one day in 30 …
_SURGE_FACTOR = 12.0  # … to 12× its networking cost
_UNALLOCATED = (("Other", 0.03), ("Networking", 0.015))
_SHARED_SUB_ACCOUNT = "shared-services"


def service_daily_costs(
    service: DemoService, usage: UsageWindow, *, catalog: Catalog
) -> list[DailyCost]:
    """One row per category per day of the usage window (partial days prorated).

    Compute: running list/effective USD per hour (engine.cost) × the hours the schedule runs that
    day. Storage: `storage_gib` × $0.08 per GiB-month, prorated per hour. Networking: that day's
    requests × the service's USD per million requests. Other: 2 % of compute list + $0.05 a day.
    Billed cost equals effective cost (commitments are amortized into the day).
    """
    config, draft = service.config, service.draft
    running = running_cost(config, region=draft.region, catalog=catalog)
    days, running_hours, window_hours, requests = _daily_totals(usage, config.schedule)
    compute_list = running.list_usd_per_hour * running_hours
    compute_effective = running.effective_usd_per_hour * running_hours
    storage = service.storage_gib * STORAGE_USD_PER_GIB_MONTH * window_hours / HOURS_PER_MONTH
    network = requests / 1e6 * service.network_usd_per_million_requests
    network = network * _egress_surges(service.index, days)
    other = _OTHER_SHARE_OF_COMPUTE * compute_list + _OTHER_USD_PER_DAY * window_hours / 24
    by_category = {
        "Compute": (compute_list, compute_effective),
        "Storage": (storage, storage),
        "Networking": (network, network),
        "Other": (other, other),
    }
    provider, account = PROVIDERS[draft.platform], service.sub_account_id
    return [
        _cost(usage.service_id, day, category, lists[i], effectives[i], provider, account)
        for i, day in enumerate(days)
        for category, (lists, effectives) in by_category.items()
    ]


def _egress_surges(index: int, days: list[date]) -> FloatArray:
    """Networking multiplier per day: _SURGE_FACTOR on a service's surge days, else 1."""
    if index % _SURGE_SERVICES != 3:
        return np.ones(len(days))
    ordinals = np.array([day.toordinal() for day in days], dtype=np.int64)
    surge = (index * 7919 + ordinals * 104_729) % _SURGE_DAYS == 0
    return np.where(surge, _SURGE_FACTOR, 1.0)


def unallocated_costs(allocated: Sequence[DailyCost]) -> list[DailyCost]:
    """Charges no service claims, per provider and month, dated the month's first charged day.

    A support plan (3 % of the provider's allocated effective cost that month) and shared
    networking (1.5 %), both with no service, so the unallocated bucket is never empty.
    """
    spend: dict[tuple[str, date], float] = defaultdict(float)
    first_day: dict[tuple[str, date], date] = {}
    for cost in allocated:
        key = (cost.provider, cost.charge_date.replace(day=1))
        spend[key] += cost.effective_cost
        first_day[key] = min(first_day.get(key, cost.charge_date), cost.charge_date)
    return [
        _cost(None, first_day[key], category, usd, usd, key[0], _SHARED_SUB_ACCOUNT)
        for key in sorted(spend)
        for category, share in _UNALLOCATED
        for usd in (share * spend[key],)
    ]


def _daily_totals(
    usage: UsageWindow, schedule: str
) -> tuple[list[date], FloatArray, FloatArray, FloatArray]:
    """Per UTC day: the day, hours the schedule runs, hours in the window, requests served."""
    days, day_index = np.unique(usage.hour_start.astype("datetime64[D]"), return_inverse=True)
    running = running_mask(schedule, usage.hour_start).astype(np.float64)
    served = np.nan_to_num(usage.requests_per_s) * 3600.0
    running_hours, window_hours, requests = (
        np.bincount(day_index, weights=weights, minlength=len(days)).astype(np.float64)
        for weights in (running, np.ones(len(day_index)), served)
    )
    return days.tolist(), running_hours, window_hours, requests


def _cost(
    service_id: int | None,
    day: date,
    category: str,
    list_usd: float,
    effective_usd: float,
    provider: str,
    sub_account_id: str,
) -> DailyCost:
    return DailyCost(
        service_id=service_id,
        charge_date=day,
        service_category=category,
        billing_currency=CURRENCY,
        billed_cost=float(effective_usd),
        effective_cost=float(effective_usd),
        list_cost=float(list_usd),
        provider=provider,
        sub_account_id=sub_account_id,
    )


@dataclass(frozen=True, slots=True)
class TaggedCost:
    """A demo cost with the tags its FOCUS row carries (none: a charge nobody claims).

    `commitment` names a COMMITMENTS entry whose discount the row used (status "Used") or,
    for a row of no service, the commitment's unused share of that day (status "Unused").
    """

    cost: DailyCost
    service_slug: str | None
    team: str | None
    commitment: str | None = None


@dataclass(frozen=True, slots=True)
class Commitment:
    """A commitment discount of the demo's AWS account, as FOCUS describes it."""

    commitment_discount_id: str
    commitment_discount_name: str
    commitment_discount_type: str
    target_utilization: float  # used / commitment on a full day of the covered services


# A compute savings plan over most AWS compute, sized a little above it (~90 % used on full
# days, less at weekends when office-hours services stop), and one reservation bought for four
# instances of a service that runs three (75 % used): the unused share is the waste FOCUS
# reports as Usage rows with CommitmentDiscountStatus "Unused".
SAVINGS_PLAN, RESERVATION = "compute-savings-plan", "reserved-instances"
COMMITMENTS = {
    SAVINGS_PLAN: Commitment(
        "arn:aws:savingsplans::999900001111:savingsplan/sp-0d3m0c0mput3",
        "Compute Savings Plan, 1 year, no upfront",
        "Savings Plan",
        0.9,
    ),
    RESERVATION: Commitment(
        "arn:aws:ec2:us-east-1:999900001111:reserved-instances/ri-0d3m0r353rv3d",
        "EC2 Reserved Instances, 4 × 1 year",
        "Reservation",
        0.75,
    ),
}
_COMMITTED_PROVIDER = "AWS"


def with_commitments(costs: Sequence[TaggedCost]) -> list[TaggedCost]:
    """Mark the AWS compute the two commitments cover and add their daily unused rows.

    Costs are unchanged (EffectiveCost is already the amortized price); only the unused share
    is new spend, charged to no service. The reservation covers the largest AWS compute not
    under the savings plan; the plan covers services whose slug hashes outside one third.
    """
    spend: dict[str, float] = defaultdict(float)
    for t in costs:
        if _coverable(t):
            spend[str(t.service_slug)] += t.cost.effective_cost
    planned = {slug for slug in spend if zlib.crc32(slug.encode()) % 3}
    rest = {slug: usd for slug, usd in spend.items() if slug not in planned}
    names = dict.fromkeys(planned, SAVINGS_PLAN)
    if rest:
        names[max(rest, key=lambda slug: (rest[slug], slug))] = RESERVATION
    marked = [
        replace(t, commitment=names[str(t.service_slug)])
        if _coverable(t) and t.service_slug in names
        else t
        for t in costs
    ]
    return marked + _unused_rows([t for t in marked if t.commitment is not None])


def _coverable(t: TaggedCost) -> bool:
    return (
        t.service_slug is not None
        and t.cost.provider == _COMMITTED_PROVIDER
        and t.cost.service_category == "Compute"
        and t.cost.effective_cost > 0
    )


def _unused_rows(used: Sequence[TaggedCost]) -> list[TaggedCost]:
    """Per commitment and day: a fixed daily commitment (sized on the busiest day) less its use."""
    by_day: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for t in used:
        by_day[str(t.commitment)][t.cost.charge_date] += t.cost.effective_cost
    rows = []
    for name, days in sorted(by_day.items()):
        daily_usd = max(days.values()) / COMMITMENTS[name].target_utilization
        for day, used_usd in sorted(days.items()):
            waste = round(daily_usd - used_usd, 6)
            cost = _cost(None, day, "Compute", 0.0, waste, _COMMITTED_PROVIDER, _SHARED_SUB_ACCOUNT)
            rows.append(TaggedCost(cost, None, None, name))
    return rows


def write_focus_files(directory: Path, costs: Sequence[TaggedCost]) -> list[Path]:
    """FOCUS 1.2 CSV files, one per provider and billing month, as a provider would export.

    Each daily cost becomes one row charged over that UTC day; a service's rows carry
    `Tags = {"service": slug, "team": team}`, unclaimed charges carry no tags. AWS compute
    carries its commitment discounts (`with_commitments`), with their unused share.
    """
    by_file: dict[tuple[str, date], list[TaggedCost]] = defaultdict(list)
    for tagged in with_commitments(costs):
        by_file[(tagged.cost.provider, tagged.cost.charge_date.replace(day=1))].append(tagged)
    paths = []
    for (provider, month), rows in sorted(by_file.items()):
        path = directory / f"focus-1.2-{provider.lower().replace(' ', '-')}-{month:%Y-%m}.csv"
        pcsv.write_csv(_focus_table(provider, month, rows), path)
        paths.append(path)
    return paths


FOCUS_COLUMNS = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency",
    "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceId",
    "InvoiceIssuerName", "ListCost", "PricingCategory", "PricingQuantity", "PricingUnit",
    "ProviderName", "PublisherName", "ResourceId", "ServiceCategory", "ServiceName",
    "SubAccountId", "Tags", "CommitmentDiscountId", "CommitmentDiscountName",
    "CommitmentDiscountType", "CommitmentDiscountStatus",
)  # fmt: skip
BILLING_ACCOUNTS = {"AWS": "999900001111", "Google Cloud": "tr-demo-billing-01"}
SERVICE_NAMES = {
    ("AWS", "Compute"): "Amazon Elastic Compute Cloud",
    ("AWS", "Storage"): "Amazon Elastic Block Store",
    ("AWS", "Networking"): "Amazon Virtual Private Cloud",
    ("AWS", "Other"): "AmazonCloudWatch",
    ("Google Cloud", "Compute"): "Kubernetes Engine",
    ("Google Cloud", "Storage"): "Persistent Disk",
    ("Google Cloud", "Networking"): "Cloud Load Balancing",
    ("Google Cloud", "Other"): "Cloud Monitoring",
}


def _focus_table(provider: str, month: date, rows: Sequence[TaggedCost]) -> pa.Table:
    """One provider-month as FOCUS text columns (column-wise: 54 k rows in ~0.1 s)."""
    costs = [tagged.cost for tagged in rows]
    account, next_month = BILLING_ACCOUNTS[provider], (month + timedelta(days=32)).replace(day=1)
    owners = [
        t.service_slug or ("unused-" + t.commitment if t.commitment else "shared") for t in rows
    ]
    categories = [cost.service_category for cost in costs]
    columns: dict[str, list[str]] = {
        **_commitment_columns(rows),
        "BilledCost": [repr(cost.billed_cost) for cost in costs],
        "ChargePeriodEnd": [_day(cost.charge_date + timedelta(days=1)) for cost in costs],
        "ChargePeriodStart": [_day(cost.charge_date) for cost in costs],
        "ContractedCost": [repr(cost.effective_cost) for cost in costs],
        "EffectiveCost": [repr(cost.effective_cost) for cost in costs],
        "ListCost": [repr(cost.list_cost) for cost in costs],
        "ChargeDescription": [f"{c} for {o}" for c, o in zip(categories, owners, strict=True)],
        "ResourceId": [f"{o}/{c.lower()}" for c, o in zip(categories, owners, strict=True)],
        "ServiceCategory": categories,
        "ServiceName": [SERVICE_NAMES[(provider, category)] for category in categories],
        "SubAccountId": [cost.sub_account_id or "" for cost in costs],
        "Tags": [_tags(tagged.service_slug, tagged.team) for tagged in rows],
    }
    constants = {
        "BillingAccountId": account,
        "BillingAccountName": f"Tightrope demo ({provider})",
        "BillingCurrency": CURRENCY,
        "BillingPeriodEnd": _day(next_month),
        "BillingPeriodStart": _day(month),
        "ChargeCategory": "Usage",
        "ChargeClass": "",
        "ChargeFrequency": "Usage-Based",
        "InvoiceId": f"INV-{account}-{month:%Y%m}",
        "PricingQuantity": "1",
        "PricingUnit": "Days",
    } | dict.fromkeys(("InvoiceIssuerName", "ProviderName", "PublisherName"), provider)
    columns |= {name: [value] * len(rows) for name, value in constants.items()}
    return pa.table({name: pa.array(columns[name], pa.string()) for name in FOCUS_COLUMNS})


def _commitment_columns(rows: Sequence[TaggedCost]) -> dict[str, list[str]]:
    """PricingCategory and the CommitmentDiscount* columns; an unused row is described as such."""
    commitments = [COMMITMENTS.get(t.commitment or "") for t in rows]
    statuses = [
        "" if c is None else ("Unused" if t.service_slug is None else "Used")
        for t, c in zip(rows, commitments, strict=True)
    ]
    columns = {
        "PricingCategory": ["Standard" if c is None else "Committed" for c in commitments],
        "CommitmentDiscountId": [c.commitment_discount_id if c else "" for c in commitments],
        "CommitmentDiscountName": [c.commitment_discount_name if c else "" for c in commitments],
        "CommitmentDiscountType": [c.commitment_discount_type if c else "" for c in commitments],
        "CommitmentDiscountStatus": statuses,
    }
    return columns


@functools.cache
def _day(day: date) -> str:
    return f"{day:%Y-%m-%d}T00:00:00Z"


@functools.cache
def _tags(slug: str | None, team: str | None) -> str:
    return json.dumps({"service": slug, "team": team}) if slug else ""
