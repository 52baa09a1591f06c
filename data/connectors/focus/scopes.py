"""One owner per scope (provider, billing account, billing period), whatever route delivered it.

    stored owner of (acct, Oct)  ──  a new delivery of (acct, Oct):
      same provider and period   →  newer or as new: it replaces the owner's rows, in full
                                    older:           kept; the new rows are not written
      other period that overlaps →  ScopeConflict (replacing drops money, adding doubles it)
      or another provider name

"Older" compares the export times both deliveries state (an Azure manifest's submittedTime);
otherwise the scopes' last charge days. A tie replaces: a re-delivery restates.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, or_, select, text
from sqlalchemy.orm import Session

from data.connectors.focus.report import Partition
from data.errors import ScopeConflict
from data.models import BillingScopeRow, CommitmentDailyRow, CostDailyRow, IngestedFileRow

LOADED, SUPERSEDED = "loaded", "superseded"
_ACCOUNT_CHARS = _PROVIDER_CHARS = 200  # the billing_scope columns' lengths


@dataclass(frozen=True, slots=True)
class ScopeDecision:
    """Which scopes the delivery takes over, and which stay with a newer delivery (its id)."""

    replace: tuple[Partition, ...]
    kept: tuple[tuple[Partition, str], ...]  # with why: the newer owner, and by what


def lock_accounts(session: Session, accounts: Iterable[str]) -> None:
    """Serialize loads that touch the same billing account (PostgreSQL advisory locks held to
    commit, taken in sorted order so two loads never deadlock). Without them two concurrent
    deliveries could both find no owner and both write: counted twice. SQLite admits one
    writer, and billing_scope's unique key refuses a second owner on either database."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for account in sorted(set(accounts)):
        digest = hashlib.sha256(f"billing-account|{account}".encode()).digest()[:8]
        key = int.from_bytes(digest, "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def decide(
    session: Session, scopes: Sequence[Partition], *, exported_at: datetime | None
) -> ScopeDecision:
    """Raises ScopeConflict for a scope that overlaps a stored or delivered one without being it."""
    _refuse_overlaps(scopes)
    stored = _stored(session, {scope.billing_account_id for scope in scopes})
    replace, kept = [], []
    for scope in scopes:
        owner = _owner(scope, stored[account_key(scope.billing_account_id)])
        if owner is not None and _older(scope, exported_at, owner):
            kept.append((scope, _kept_note(scope, exported_at, owner)))
        else:
            replace.append(scope)
    return ScopeDecision(tuple(replace), tuple(kept))


def account_key(account: str) -> str:
    return account[:_ACCOUNT_CHARS]


def take_over(
    session: Session, scope: Partition, *, delivery_id: int, exported_at: datetime | None,
    now: datetime,
) -> set[int]:  # fmt: skip
    """Delete every row stored for the scope (any route, any earlier delivery), make the
    delivery its owner, and return the deliveries whose rows went."""
    touched = _delete_costs(session, scope)
    touched.discard(delivery_id)
    for file_id in touched:
        _after_replacement(session, scope, file_id, now=now)
    _own(session, scope, delivery_id=delivery_id, exported_at=exported_at, now=now)
    return touched


def _refuse_overlaps(scopes: Sequence[Partition]) -> None:
    by_account: dict[str, list[Partition]] = defaultdict(list)
    for scope in scopes:
        for other in by_account[account_key(scope.billing_account_id)]:
            if _overlap(scope.billing_period_start, scope.billing_period_end, other):
                raise ScopeConflict(_conflict(scope, "this delivery's", other.provider, other))
        by_account[account_key(scope.billing_account_id)].append(scope)


def _stored(session: Session, accounts: set[str]) -> dict[str, list[BillingScopeRow]]:
    keys = {account_key(account) for account in accounts}
    rows = session.scalars(
        select(BillingScopeRow).where(BillingScopeRow.billing_account_id.in_(keys))
    )
    stored: dict[str, list[BillingScopeRow]] = defaultdict(list)
    for row in rows:
        stored[row.billing_account_id].append(row)
    return stored


def _owner(scope: Partition, stored: Sequence[BillingScopeRow]) -> BillingScopeRow | None:
    """The stored owner of exactly this scope; ScopeConflict when one overlaps it otherwise."""
    for held in stored:
        if not _overlap(held.billing_period_start, held.billing_period_end, scope):
            continue
        same_period = (held.billing_period_start, held.billing_period_end) == (
            scope.billing_period_start, scope.billing_period_end,
        )  # fmt: skip
        if not same_period or held.provider != scope.provider[:_PROVIDER_CHARS]:
            raise ScopeConflict(
                _conflict(scope, f"delivery #{held.ingested_file_id}'s", held.provider, held)
            )
        return held
    return None


def _overlap(start: datetime, end: datetime, other: Partition | BillingScopeRow) -> bool:
    return start < other.billing_period_end and other.billing_period_start < end


def _conflict(
    scope: Partition, whose: str, provider: str, other: Partition | BillingScopeRow
) -> str:
    return (
        f"billing account {scope.billing_account_id}: {scope.provider} "
        f"{_period(scope.billing_period_start, scope.billing_period_end)} overlaps {whose} "
        f"{provider} {_period(other.billing_period_start, other.billing_period_end)} without "
        "being the same scope; replacing one would drop money and keeping both would count it "
        "twice, so nothing was loaded (deliver whole, identical billing periods under one "
        "ProviderName)"
    )


def _period(start: datetime, end: datetime) -> str:
    return f"{start:%Y-%m-%d}–{end:%Y-%m-%d}"


def _older(scope: Partition, exported_at: datetime | None, held: BillingScopeRow) -> bool:
    if exported_at and held.exported_at and exported_at != held.exported_at:
        return exported_at < held.exported_at
    assert scope.charged_through is not None  # every delivered scope has a charge day
    return scope.charged_through < held.charged_through


def _kept_note(scope: Partition, exported_at: datetime | None, held: BillingScopeRow) -> str:
    if exported_at and held.exported_at and exported_at != held.exported_at:
        why = (
            f"exported {held.exported_at:%Y-%m-%d %H:%M} UTC, this one {exported_at:%Y-%m-%d %H:%M}"
        )
    else:
        why = f"charges through {held.charged_through}, this one's through {scope.charged_through}"
    return (
        f"billing account {scope.billing_account_id} "
        f"{_period(scope.billing_period_start, scope.billing_period_end)}: kept delivery "
        f"#{held.ingested_file_id}, which is newer ({why})"
    )


def _delete_costs(session: Session, scope: Partition) -> set[int]:
    """The scope's cost rows, found through the deliveries whose recorded range covers it (the
    ingested_file_id index narrows the delete; cost_daily has no scope index)."""
    start, account = scope.billing_period_start, account_key(scope.billing_account_id)
    candidates = select(IngestedFileRow.id).where(
        IngestedFileRow.status == LOADED,
        or_(IngestedFileRow.billing_account_id.is_(None),
            IngestedFileRow.billing_account_id == scope.billing_account_id[:120]),
        or_(IngestedFileRow.billing_period_start.is_(None),
            IngestedFileRow.billing_period_start <= start),
    )  # fmt: skip
    where = (
        CostDailyRow.ingested_file_id.in_(candidates),
        CostDailyRow.billing_account_id == account,
        CostDailyRow.billing_period_start == start,
    )
    file_ids = set(session.scalars(select(CostDailyRow.ingested_file_id).where(*where).distinct()))
    session.execute(delete(CostDailyRow).where(*where))
    return {file_id for file_id in file_ids if file_id is not None}


def _after_replacement(session: Session, scope: Partition, file_id: int, *, now: datetime) -> None:
    """A replaced delivery loses its commitment days of the scope; emptied, it is superseded
    and loses them all (even days dated outside its billing period)."""
    left = session.scalar(
        select(CostDailyRow.id).where(CostDailyRow.ingested_file_id == file_id).limit(1)
    )
    where = [CommitmentDailyRow.ingested_file_id == file_id]
    if left is None:
        earlier = session.get(IngestedFileRow, file_id)
        if earlier is not None:
            earlier.status, earlier.superseded_at = SUPERSEDED, now
    else:
        first, end = _charge_days(scope)
        where += [
            CommitmentDailyRow.billing_account_id == account_key(scope.billing_account_id),
            CommitmentDailyRow.charge_date >= first,
            CommitmentDailyRow.charge_date < end,
        ]
    session.execute(delete(CommitmentDailyRow).where(*where))


def _charge_days(scope: Partition) -> tuple[date, date]:
    """commitment_daily keeps no billing period: the scope's days by charge date."""
    first = scope.billing_period_start.date()
    end = scope.billing_period_end.date()
    end += timedelta(days=0 if scope.billing_period_end.time() == datetime.min.time() else 1)
    return first, end


def _own(
    session: Session, scope: Partition, *, delivery_id: int, exported_at: datetime | None,
    now: datetime,
) -> None:  # fmt: skip
    account = account_key(scope.billing_account_id)
    row = session.scalar(
        select(BillingScopeRow).where(
            BillingScopeRow.billing_account_id == account,
            BillingScopeRow.billing_period_start == scope.billing_period_start,
        )
    )
    if row is None:
        row = BillingScopeRow(
            billing_account_id=account, billing_period_start=scope.billing_period_start
        )
        session.add(row)
    row.provider, row.billing_period_end = (
        scope.provider[:_PROVIDER_CHARS],
        scope.billing_period_end,
    )
    row.ingested_file_id, row.exported_at, row.loaded_at = delivery_id, exported_at, now
    assert scope.charged_through is not None
    row.charged_through = scope.charged_through
