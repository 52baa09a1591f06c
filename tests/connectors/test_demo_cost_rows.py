"""The seed's columnar costs are the per-record costs, exactly: rows, unallocated, commitments."""

from __future__ import annotations

import csv
import zlib
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest

from data.catalog import load_catalog
from data.connectors.demo.cost_rows import (
    CATEGORIES,
    COMMITMENT_NAMES,
    TARGET_UTILIZATION,
    CostRows,
    unallocated_rows,
    with_commitments,
)
from data.connectors.demo.costs import (
    TaggedCost,
    daily_cost_arrays,
    fleet_cost_rows,
    service_daily_costs,
    write_focus_files,
)
from data.connectors.demo.fleet import build_fleet
from data.connectors.demo.shapes import usage_window
from data.repos.costs import DailyCost

END = datetime(2026, 11, 1, tzinfo=UTC)
Record = tuple[str, DailyCost]


@pytest.fixture(scope="module")
def records_and_rows() -> tuple[list[Record], CostRows]:
    catalog = load_catalog()
    fleet = build_fleet(catalog, seed=7, n_services=60)
    windows = [usage_window(s, service_id=0, end=END, days=40) for s in fleet]
    records = [
        (service.draft.slug, cost)
        for service, window in zip(fleet, windows, strict=True)
        for cost in service_daily_costs(service, window, catalog=catalog)
    ]
    priced = [daily_cost_arrays(s, w, catalog=catalog) for s, w in zip(fleet, windows, strict=True)]
    owners = [(s.draft.slug, s.draft.team) for s in fleet]
    return records, fleet_cost_rows(priced, list(range(len(fleet))), owners)


def test_the_columns_hold_the_records_in_order(
    records_and_rows: tuple[list[Record], CostRows],
) -> None:
    records, rows = records_and_rows

    as_rows = [
        (
            rows.owners[owner][0],
            day,
            CATEGORIES[category],
            billed,
            effective,
            listed,
            rows.providers[provider],
            rows.accounts[account],
        )
        for owner, day, category, billed, effective, listed, provider, account in zip(
            *(getattr(rows, n).tolist() for n in _FIELDS), strict=True
        )
    ]

    assert as_rows == [
        (
            slug,
            c.charge_date,
            c.service_category,
            c.billed_cost,
            c.effective_cost,
            c.list_cost,
            c.provider,
            c.sub_account_id,
        )
        for slug, c in records
    ]


_FIELDS = (
    "owner", "day", "category", "billed_usd", "effective_usd", "list_usd", "provider", "account",
)  # fmt: skip


def test_unallocated_rows_are_the_running_sums_of_the_records(
    records_and_rows: tuple[list[Record], CostRows],
) -> None:
    records, rows = records_and_rows
    spend: dict[tuple[str, date], float] = defaultdict(float)
    first: dict[tuple[str, date], date] = {}
    for _, cost in records:
        key = (cost.provider, cost.charge_date.replace(day=1))
        spend[key] += cost.effective_cost
        first[key] = min(first.get(key, cost.charge_date), cost.charge_date)

    extra = unallocated_rows(rows)

    expected = [
        (key[0], first[key], category, share * spend[key])
        for key in sorted(spend)
        for category, share in (("Other", 0.03), ("Networking", 0.015))
    ]
    got = [
        (extra.providers[p], day, CATEGORIES[c], usd)
        for p, day, c, usd in zip(
            extra.provider.tolist(),
            extra.day.tolist(),
            extra.category.tolist(),
            extra.effective_usd.tolist(),
            strict=True,
        )
    ]
    assert got == expected  # exact: the same additions in the same order
    assert set(extra.owner.tolist()) == {-1}


def test_commitments_cover_aws_compute_per_slug_and_add_the_unused_share(
    records_and_rows: tuple[list[Record], CostRows],
) -> None:
    records, rows = records_and_rows
    coverable_at = {
        i
        for i, (_, cost) in enumerate(records)
        if cost.provider == "AWS" and cost.service_category == "Compute" and cost.effective_cost > 0
    }
    coverable = [records[i] for i in sorted(coverable_at)]
    spend: dict[str, float] = defaultdict(float)
    for slug, cost in coverable:
        spend[slug] += cost.effective_cost
    planned = {slug for slug in spend if zlib.crc32(slug.encode()) % 3}
    rest = {slug: usd for slug, usd in spend.items() if slug not in planned}
    names = dict.fromkeys(planned, COMMITMENT_NAMES[0])
    names[max(rest, key=lambda slug: (rest[slug], slug))] = COMMITMENT_NAMES[1]
    used: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for slug, cost in coverable:
        if slug in names:
            used[names[slug]][cost.charge_date] += cost.effective_cost

    marked = with_commitments(rows)

    covered = marked.commitment[: len(rows)].tolist()
    assert covered == [
        COMMITMENT_NAMES.index(names[slug]) if i in coverable_at and slug in names else -1
        for i, (slug, _) in enumerate(records)
    ]
    unused = marked.take(np.arange(len(rows), len(marked)))
    expected = []
    for name, days in sorted(used.items()):
        target = TARGET_UTILIZATION[COMMITMENT_NAMES.index(name)]
        daily_usd = max(days.values()) / target
        expected += [(name, day, round(daily_usd - usd, 6)) for day, usd in sorted(days.items())]
    got = [
        (COMMITMENT_NAMES[c], day, usd)
        for c, day, usd in zip(
            unused.commitment.tolist(),
            unused.day.tolist(),
            unused.effective_usd.tolist(),
            strict=True,
        )
    ]
    assert got == expected


def test_costs_nobody_claims_alone_export_without_tags_or_commitments(tmp_path: Path) -> None:
    cost = DailyCost(None, date(2026, 10, 1), "Compute", "USD", 2.5, 2.5, 3.0, "AWS", None)

    (path,) = write_focus_files(tmp_path, [TaggedCost(cost, None, None)])

    (row,) = csv.DictReader(path.open())
    assert (row["Tags"], row["CommitmentDiscountStatus"], row["ResourceId"]) == (
        "",
        "",
        "shared/compute",
    )
    assert (row["EffectiveCost"], row["ListCost"]) == ("2.5", "3.0")
