"""Daily costs of demo services, priced from their config and the catalog, exported as FOCUS 1.2."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from data.connectors.demo.cost_rows import CATEGORIES as CATEGORIES  # re-exported
from data.connectors.demo.cost_rows import Codes, CostRows, unallocated_rows
from data.connectors.demo.fleet import DemoService
from data.connectors.demo.focus_export import CURRENCY, write_cost_rows
from data.repos.costs import DailyCost
from engine.arrays import FloatArray
from engine.catalog import Catalog
from engine.cost import running_cost, running_mask
from engine.units import HOURS_PER_MONTH
from engine.usage import UsageWindow

PROVIDERS = {"vm": "AWS", "kubernetes": "Google Cloud"}
STORAGE_USD_PER_GIB_MONTH = 0.08  # gp3 block storage list price, us-east-1
# Monitoring, public IPs, log ingestion...: a small share of compute plus a flat daily floor.
_OTHER_SHARE_OF_COMPUTE = 0.02
_OTHER_USD_PER_DAY = 0.05
# A few services now and then move far more data than usual (a backfill, a misrouted client):
# the cost anomalies the Budgets page should find. Fixed per (service, date), so a restated
# month reproduces them.
_SURGE_SERVICES = 25  # one service in 25 …
_SURGE_DAYS = 30  # … surges on about one day in 30 …
_SURGE_FACTOR = 12.0  # … to 12× its networking cost
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@dataclass(frozen=True, slots=True)
class DailyCostArrays:
    """One service's daily costs: `list_usd[c, d]` is CATEGORIES[c] on `days[d]`."""

    days: npt.NDArray[np.datetime64]  # datetime64[D]
    list_usd: FloatArray  # (categories, days)
    effective_usd: FloatArray
    provider: str
    sub_account_id: str


def daily_cost_arrays(
    service: DemoService, usage: UsageWindow, *, catalog: Catalog
) -> DailyCostArrays:
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
    return DailyCostArrays(
        days=days,
        list_usd=np.array([by_category[c][0] for c in CATEGORIES], dtype=np.float64),
        effective_usd=np.array([by_category[c][1] for c in CATEGORIES], dtype=np.float64),
        provider=PROVIDERS[draft.platform],
        sub_account_id=service.sub_account_id,
    )


def service_daily_costs(
    service: DemoService, usage: UsageWindow, *, catalog: Catalog
) -> list[DailyCost]:
    """`daily_cost_arrays` as records, day by day and category by category."""
    priced = daily_cost_arrays(service, usage, catalog=catalog)
    return [
        _cost(
            usage.service_id,
            day,
            category,
            float(priced.list_usd[c, i]),
            float(priced.effective_usd[c, i]),
            priced.provider,
            priced.sub_account_id,
        )
        for i, day in enumerate(priced.days.tolist())
        for c, category in enumerate(CATEGORIES)
    ]


def fleet_cost_rows(
    priced: Sequence[DailyCostArrays], owner: Sequence[int], owners: Sequence[tuple[str, str]]
) -> CostRows:
    """The services' daily costs as columns, service by service, then day, then category (the
    order `service_daily_costs` lists them in); `owner[i]` indexes `owners` for `priced[i]`."""
    providers = tuple(dict.fromkeys(p.provider for p in priced))
    accounts = tuple(dict.fromkeys(p.sub_account_id for p in priced))
    sizes = np.array([len(p.days) * len(CATEGORIES) for p in priced], dtype=np.intp)
    empty = np.zeros(0)
    per = len(CATEGORIES)

    def joined(values: list[npt.NDArray[Any]], dtype: Any) -> npt.NDArray[Any]:
        return np.concatenate(values).astype(dtype) if values else empty.astype(dtype)

    def codes(values: Sequence[int]) -> Codes:
        return np.repeat(np.asarray(values, dtype=np.int32), sizes)

    effective = joined([p.effective_usd.T.ravel() for p in priced], np.float64)
    return CostRows(
        day=joined([np.repeat(p.days, per) for p in priced], "datetime64[D]"),
        category=np.tile(np.arange(per, dtype=np.int32), int(sizes.sum()) // per),
        billed_usd=effective,
        effective_usd=effective,
        list_usd=joined([p.list_usd.T.ravel() for p in priced], np.float64),
        provider=codes([providers.index(p.provider) for p in priced]),
        account=codes([accounts.index(p.sub_account_id) for p in priced]),
        owner=codes(owner),
        commitment=np.full(int(sizes.sum()), -1, dtype=np.int32),
        providers=providers,
        accounts=accounts,
        owners=tuple(owners),
    )


def _egress_surges(index: int, days: npt.NDArray[np.datetime64]) -> FloatArray:
    """Networking multiplier per day: _SURGE_FACTOR on a service's surge days, else 1."""
    if index % _SURGE_SERVICES != 3:
        return np.ones(len(days))
    ordinals = days.astype(np.int64) + _EPOCH_ORDINAL
    surge = (index * 7919 + ordinals * 104_729) % _SURGE_DAYS == 0
    return np.where(surge, _SURGE_FACTOR, 1.0)


def unallocated_costs(allocated: Sequence[DailyCost]) -> list[DailyCost]:
    """Charges no service claims, per provider and month (`cost_rows.unallocated_rows`)."""
    rows = unallocated_rows(_rows_of([TaggedCost(cost, None, None) for cost in allocated]))
    return [
        _cost(
            None,
            day,
            CATEGORIES[category],
            list_usd,
            effective_usd,
            rows.providers[provider],
            rows.accounts[account],
        )
        for day, category, list_usd, effective_usd, provider, account in zip(
            rows.day.tolist(),
            rows.category.tolist(),
            rows.list_usd.tolist(),
            rows.effective_usd.tolist(),
            rows.provider.tolist(),
            rows.account.tolist(),
            strict=True,
        )
    ]


def _daily_totals(
    usage: UsageWindow, schedule: str
) -> tuple[npt.NDArray[np.datetime64], FloatArray, FloatArray, FloatArray]:
    """Per UTC day: the day, hours the schedule runs, hours in the window, requests served."""
    days, day_index = np.unique(usage.hour_start.astype("datetime64[D]"), return_inverse=True)
    running = running_mask(schedule, usage.hour_start).astype(np.float64)
    served = np.nan_to_num(usage.requests_per_s) * 3600.0
    running_hours, window_hours, requests = (
        np.bincount(day_index, weights=weights, minlength=len(days)).astype(np.float64)
        for weights in (running, np.ones(len(day_index)), served)
    )
    return days, running_hours, window_hours, requests


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
    """A demo cost with the tags its FOCUS row carries (none: a charge nobody claims)."""

    cost: DailyCost
    service_slug: str | None
    team: str | None


def write_focus_files(directory: Path, costs: Sequence[TaggedCost]) -> list[Path]:
    """FOCUS 1.2 CSV files of these costs, one per provider and billing month
    (`focus_export.write_cost_rows`: AWS compute carries its commitment discounts)."""
    return write_cost_rows(directory, _rows_of(costs))


def _rows_of(costs: Sequence[TaggedCost]) -> CostRows:
    """Records as columns; an owner per distinct (slug, team)."""
    providers = tuple(dict.fromkeys(t.cost.provider for t in costs))
    accounts = tuple(dict.fromkeys(t.cost.sub_account_id or "" for t in costs))
    owners = tuple(
        dict.fromkeys((t.service_slug, t.team or "") for t in costs if t.service_slug is not None)
    )
    owner_code = {owner: code for code, owner in enumerate(owners)}

    def column(values: list[Any], dtype: Any) -> npt.NDArray[Any]:
        return np.array(values, dtype=dtype)

    return CostRows(
        day=column([t.cost.charge_date for t in costs], "datetime64[D]"),
        category=column([CATEGORIES.index(t.cost.service_category) for t in costs], np.int32),
        billed_usd=column([t.cost.billed_cost for t in costs], np.float64),
        effective_usd=column([t.cost.effective_cost for t in costs], np.float64),
        list_usd=column([t.cost.list_cost for t in costs], np.float64),
        provider=column([providers.index(t.cost.provider) for t in costs], np.int32),
        account=column([accounts.index(t.cost.sub_account_id or "") for t in costs], np.int32),
        owner=column(
            [
                -1 if t.service_slug is None else owner_code[(t.service_slug, t.team or "")]
                for t in costs
            ],
            np.int32,
        ),
        commitment=np.full(len(costs), -1, dtype=np.int32),
        providers=providers,
        accounts=accounts,
        owners=owners,
    )
