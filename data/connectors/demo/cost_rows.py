"""The demo's daily cost rows as numpy columns: unallocated charges and commitment marks."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.arrays import FloatArray

Days = npt.NDArray[np.datetime64]
Codes = npt.NDArray[np.int32]

CATEGORIES = ("Compute", "Storage", "Networking", "Other")
COMPUTE = CATEGORIES.index("Compute")
# The two commitment discounts of the demo's AWS account (code 0 and 1 in `CostRows.commitment`).
SAVINGS_PLAN, RESERVATION = "compute-savings-plan", "reserved-instances"
COMMITMENT_NAMES = (SAVINGS_PLAN, RESERVATION)
# Used / commitment on a full day of the covered services: the plan is sized a little above
# the compute it covers, the reservation bought for four instances of a service that runs three.
TARGET_UTILIZATION = (0.9, 0.75)
COMMITTED_PROVIDER = "AWS"
SHARED_SUB_ACCOUNT = "shared-services"
# Charges nobody's tag claims, as a share of a provider's allocated monthly spend.
# (category, share): a support plan, and shared NAT gateways and transit.
_UNALLOCATED = ((CATEGORIES.index("Other"), 0.03), (CATEGORIES.index("Networking"), 0.015))


@dataclass(frozen=True, slots=True)
class CostRows:
    """Daily cost rows, one index a row (a FOCUS row once exported), in export order.

    Texts are codes into the label tuples; `owner` -1 is a charge nobody's tag claims,
    `commitment` -1 a row no commitment discount covers (else an index of COMMITMENT_NAMES).
    """

    day: Days  # datetime64[D], the UTC charge day
    category: Codes  # index into CATEGORIES
    billed_usd: FloatArray
    effective_usd: FloatArray
    list_usd: FloatArray
    provider: Codes
    account: Codes  # the sub-account id
    owner: Codes  # (service slug, team); -1: nobody's
    commitment: Codes
    providers: tuple[str, ...]
    accounts: tuple[str, ...]
    owners: tuple[tuple[str, str], ...]

    def __len__(self) -> int:
        return len(self.day)

    def take(self, index: npt.NDArray[np.intp]) -> CostRows:
        """The rows at `index`, in that order (labels shared)."""
        return replace(self, **{name: getattr(self, name)[index] for name in _ROW_FIELDS})

    def appended(self, rows: CostRows) -> CostRows:
        """These rows then `rows`, whose labels extend these (`with_labels`)."""
        for labels in ("providers", "accounts", "owners"):
            mine, theirs = getattr(self, labels), getattr(rows, labels)
            assert theirs[: len(mine)] == mine, f"{labels} differ"
        columns: dict[str, Any] = {
            n: np.concatenate([getattr(self, n), getattr(rows, n)]) for n in _ROW_FIELDS
        }
        return replace(rows, **columns)

    def code(self, labels: str, label: str) -> int:
        """The code of `label` among `labels` ("providers" or "accounts"), added if absent."""
        known: tuple[str, ...] = getattr(self, labels)
        return known.index(label) if label in known else len(known)


_ROW_FIELDS = (
    "day", "category", "billed_usd", "effective_usd", "list_usd", "provider", "account",
    "owner", "commitment",
)  # fmt: skip


def with_labels(rows: CostRows, *, providers: Sequence[str], accounts: Sequence[str]) -> CostRows:
    """The same rows with more labels appended (existing codes keep their meaning)."""
    return replace(
        rows,
        providers=rows.providers + tuple(p for p in providers if p not in rows.providers),
        accounts=rows.accounts + tuple(a for a in accounts if a not in rows.accounts),
    )


def unallocated_rows(rows: CostRows) -> CostRows:
    """Charges no service claims, per provider and month, dated the month's first charged day:
    a support plan (3 % of the provider's allocated effective cost that month) and shared
    networking (1.5 %), both with no service, so the unallocated bucket is never empty.
    Ordered by provider name, then month. `rows` gains the shared sub-account label."""
    rows = with_labels(rows, providers=(), accounts=(SHARED_SUB_ACCOUNT,))
    months = rows.day.astype("datetime64[M]")
    month_codes, month_index = np.unique(months, return_inverse=True)
    key = rows.provider.astype(np.int64) * len(month_codes) + month_index
    # bincount adds in row order, as a running float sum per key would.
    spend = np.bincount(
        key, weights=rows.effective_usd, minlength=len(rows.providers) * len(month_codes)
    )
    first = np.full(len(spend), np.iinfo(np.int64).max)
    np.minimum.at(first, key, rows.day.astype(np.int64))
    keys = sorted(
        {int(k) for k in np.unique(key)},
        key=lambda k: (rows.providers[k // len(month_codes)], month_codes[k % len(month_codes)]),
    )
    share_usd = [share * float(spend[k]) for k in keys for _, share in _UNALLOCATED]
    count = len(share_usd)
    usd = np.array(share_usd, dtype=np.float64)
    return CostRows(
        day=np.repeat(first[keys], len(_UNALLOCATED)).astype("datetime64[D]"),
        category=np.tile([c for c, _ in _UNALLOCATED], len(keys)).astype(np.int32),
        billed_usd=usd,
        effective_usd=usd,
        list_usd=usd,
        provider=np.repeat(
            np.array(keys, dtype=np.int64) // len(month_codes), len(_UNALLOCATED)
        ).astype(np.int32),
        account=np.full(count, rows.accounts.index(SHARED_SUB_ACCOUNT), dtype=np.int32),
        owner=np.full(count, -1, dtype=np.int32),
        commitment=np.full(count, -1, dtype=np.int32),
        providers=rows.providers,
        accounts=rows.accounts,
        owners=rows.owners,
    )


def with_commitments(rows: CostRows) -> CostRows:
    """Mark the AWS compute the two commitments cover and append their daily unused rows.

    Costs are unchanged (EffectiveCost is already the amortized price); only the unused share
    is new spend, charged to no service. The reservation covers the largest AWS compute not
    under the savings plan; the plan covers services whose slug hashes outside one third.
    """
    rows = with_labels(rows, providers=(COMMITTED_PROVIDER,), accounts=(SHARED_SUB_ACCOUNT,))
    coverable = (
        (rows.owner >= 0)
        & (rows.provider == rows.providers.index(COMMITTED_PROVIDER))
        & (rows.category == COMPUTE)
        & (rows.effective_usd > 0)
    )
    # -1 appended: the code of "nobody's" rows (owner -1), also when no row has an owner.
    covered = np.append(_commitment_of_owner(rows, coverable), -1)
    commitment = np.where(coverable, covered[rows.owner], -1).astype(np.int32)
    marked = replace(rows, commitment=commitment)
    return marked.appended(_unused_rows(marked))


def _commitment_of_owner(rows: CostRows, coverable: npt.NDArray[np.bool_]) -> Codes:
    """Per owner: 0 (the savings plan), 1 (the reservation) or -1 (neither), decided per slug
    on its coverable spend (summed in row order)."""
    slugs = list(dict.fromkeys(slug for slug, _ in rows.owners))
    position = {slug: index for index, slug in enumerate(slugs)}
    slug_of = np.array([position[slug] for slug, _ in rows.owners], dtype=np.intp)
    by_slug = slug_of[rows.owner[coverable]]
    spend = np.bincount(by_slug, weights=rows.effective_usd[coverable], minlength=len(slugs))
    covered = np.full(len(slugs), -1, dtype=np.int32)
    rest = []
    for index in sorted(set(by_slug.tolist())):
        if zlib.crc32(slugs[index].encode()) % 3:
            covered[index] = 0
        else:
            rest.append((float(spend[index]), slugs[index], index))
    if rest:
        covered[max(rest)[2]] = 1
    return covered[slug_of]


def _unused_rows(marked: CostRows) -> CostRows:
    """Per commitment and day: a fixed daily commitment (sized on the busiest day) less its use."""
    days: list[np.datetime64] = []
    waste: list[float] = []
    codes: list[int] = []
    for code, target in enumerate(TARGET_UTILIZATION):
        used = marked.commitment == code
        if not used.any():
            continue
        on, index = np.unique(marked.day[used], return_inverse=True)
        used_usd = np.bincount(index, weights=marked.effective_usd[used]).tolist()
        daily_usd = max(used_usd) / target
        days += list(on)
        waste += [round(daily_usd - usd, 6) for usd in used_usd]
        codes += [code] * len(on)
    count = len(days)
    usd = np.array(waste, dtype=np.float64)
    return CostRows(
        day=np.array(days, dtype="datetime64[D]"),
        category=np.full(count, COMPUTE, dtype=np.int32),
        billed_usd=usd,
        effective_usd=usd,
        list_usd=np.zeros(count),
        provider=np.full(count, marked.providers.index(COMMITTED_PROVIDER), dtype=np.int32),
        account=np.full(count, marked.accounts.index(SHARED_SUB_ACCOUNT), dtype=np.int32),
        owner=np.full(count, -1, dtype=np.int32),
        commitment=np.array(codes, dtype=np.int32),
        providers=marked.providers,
        accounts=marked.accounts,
        owners=marked.owners,
    )
