"""Write a parsed file in one transaction: replace its partitions, record the delivery."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from data.connectors.focus.commitments import CommitmentDay
from data.connectors.focus.findings import Finding
from data.connectors.focus.parse import ParsedFile
from data.connectors.focus.report import IngestReport, Partition, ValidationReport
from data.models import CommitmentDailyRow, CostDailyRow, IngestedFileRow, ServiceRow
from data.repos.costs import (
    AllocatedCostColumns,
    delete_partition_costs,
    insert_allocated_costs,
)

log = logging.getLogger(__name__)

LOADED, SUPERSEDED, REJECTED = "loaded", "superseded", "rejected"


def find_delivery(session: Session, content_sha256: str) -> IngestedFileRow | None:
    return session.scalar(
        select(IngestedFileRow).where(IngestedFileRow.content_sha256 == content_sha256)
    )


def service_references(session: Session) -> dict[str, int]:
    """Lower-cased slug, and the value of each service's own allocation rule → service id."""
    refs: dict[str, int] = {}
    for service_id, slug, rule in session.execute(
        select(ServiceRow.id, ServiceRow.slug, ServiceRow.allocation_rule)
    ):
        refs[slug.lower()] = service_id
        value = (rule or {}).get("value")
        if isinstance(value, str) and value.strip():
            refs.setdefault(value.strip().lower(), service_id)
    return refs


def load_parsed(
    session: Session, parsed: ParsedFile, *, source: str, now: datetime
) -> IngestReport:
    """In the caller's transaction: the delivery row, replaced partitions, then the costs and
    the commitments' daily utilization.

    A re-delivered (billing account, billing period) of the same source replaces every row
    earlier deliveries wrote for it (costs and commitments); a delivery left with no rows is
    marked superseded.
    """
    report = parsed.report
    _lock_partitions(session, report, source=source)
    refs = service_references(session)
    warnings = report.warnings + _unknown_references(parsed.cost_columns, refs)
    delivery = _delivery(session, report, source=source, now=now)
    _fill(delivery, report, warnings, status=LOADED)
    session.flush()
    replaced = _replace_partitions(session, report, source=source, keep=delivery.id, now=now)
    rows = insert_allocated_costs(
        session, parsed.cost_columns, service_ids=refs, ingested_file_id=delivery.id
    )
    insert_commitment_days(session, parsed.commitments, ingested_file_id=delivery.id)
    return IngestReport(
        status="loaded",
        ingested_file_id=delivery.id,
        file_name=report.file_name,
        content_sha256=report.content_sha256,
        rows_read=report.rows_read,
        cost_rows=rows,
        totals=report.totals_json(),
        replaced_file_ids=tuple(sorted(replaced)),
        warnings=warnings,
        commitment_rows=len(parsed.commitments),
    )


def insert_commitment_days(
    session: Session, days: Sequence[CommitmentDay], *, ingested_file_id: int
) -> int:
    """Append the commitments' daily utilization; money quantized to the schema's 10 decimals.

    A file holds a few rows per commitment and day, so SQLAlchemy's executemany is cheap here.
    """
    rows = [
        {
            "ingested_file_id": ingested_file_id,
            "commitment_discount_id": day.commitment_discount_id[:400],
            "commitment_discount_name": _clipped(day.commitment_discount_name, 400),
            "commitment_discount_type": _clipped(day.commitment_discount_type, 80),
            "charge_date": day.charge_date,
            "billing_currency": day.billing_currency,
            "billing_account_id": day.billing_account_id[:200],
            "used_effective_cost": day.used_effective_cost.quantize(_TEN_DECIMALS),
            "unused_effective_cost": day.unused_effective_cost.quantize(_TEN_DECIMALS),
        }
        for day in days
    ]
    if rows:
        session.execute(insert(CommitmentDailyRow), rows)
    return len(rows)


def _clipped(value: str | None, length: int) -> str | None:
    return None if value is None else value[:length]


_TEN_DECIMALS = Decimal("1e-10")


def record_rejection(
    sessions: sessionmaker[Session],
    *,
    source: str,
    file_name: str,
    content_sha256: str,
    report: ValidationReport | None,
    errors: Sequence[dict[str, Any]],
    now: datetime,
) -> int | None:
    """Keep the rejected delivery and why, in its own transaction (the load already rolled back)."""
    try:
        with sessions.begin() as session:
            delivery = find_delivery(session, content_sha256)
            if delivery is not None and delivery.status != REJECTED:
                return delivery.id  # a concurrent ingest loaded it meanwhile
            delivery = delivery or IngestedFileRow(content_sha256=content_sha256)
            delivery.source, delivery.file_name, delivery.ingested_at = source, file_name[:400], now
            _fill(delivery, report, report.warnings if report else (), status=REJECTED)
            delivery.errors = {"items": list(errors)}
            session.add(delivery)
            session.flush()
            return delivery.id
    except Exception:  # recording is best effort: the caller raises the original error
        log.exception("could not record the rejected delivery %s", file_name)
        return None


def _delivery(
    session: Session, report: ValidationReport, *, source: str, now: datetime
) -> IngestedFileRow:
    """The earlier rejected row for this content (re-submitted after a fix), or a new one."""
    delivery = find_delivery(session, report.content_sha256)
    if delivery is None:
        delivery = IngestedFileRow(content_sha256=report.content_sha256)
        session.add(delivery)
    delivery.source, delivery.file_name, delivery.ingested_at = source, report.file_name[:400], now
    delivery.errors, delivery.superseded_at = {}, None
    return delivery


def _fill(
    delivery: IngestedFileRow,
    report: ValidationReport | None,
    warnings: Sequence[Finding],
    *,
    status: str,
) -> None:
    delivery.status = status
    delivery.warnings = {"items": [finding.as_json() for finding in warnings]}
    if report is None:
        delivery.rows_read, delivery.rows_loaded, delivery.totals = 0, 0, {}
        return
    delivery.focus_version = report.focus_version
    delivery.rows_read = report.rows_read
    delivery.rows_loaded = report.rows_read if status == LOADED else 0
    delivery.totals = report.totals_json()
    delivery.errors = {"items": [finding.as_json() for finding in report.errors]}
    accounts = {partition.billing_account_id for partition in report.partitions}
    delivery.billing_account_id = next(iter(accounts))[:120] if len(accounts) == 1 else None
    if report.partitions:
        delivery.billing_period_start = min(p.billing_period_start for p in report.partitions)
        delivery.billing_period_end = max(p.billing_period_end for p in report.partitions)


def _lock_partitions(session: Session, report: ValidationReport, *, source: str) -> None:
    """Serialize loads of the same partition (PostgreSQL advisory locks, held to commit).

    Without it two concurrent restatements under READ COMMITTED could each delete the old rows
    and both insert theirs: counted twice. Locks are taken in sorted order (no deadlock).
    SQLite needs none: it admits one writer, and a stale writer fails instead of interleaving.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted(
        f"{source}|{p.billing_account_id}|{p.billing_period_start.isoformat()}"
        for p in report.partitions
    )
    for key in keys:
        digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": digest})


def _replace_partitions(
    session: Session, report: ValidationReport, *, source: str, keep: int, now: datetime
) -> set[int]:
    touched: set[int] = set()
    for partition in report.partitions:
        touched |= delete_partition_costs(
            session,
            source=source,
            billing_account_id=partition.billing_account_id,
            billing_period_start=partition.billing_period_start,
        )
    touched.discard(keep)
    for partition in report.partitions:
        _delete_partition_commitments(session, partition, file_ids=touched)
    for file_id in touched:
        left = session.scalar(
            select(CostDailyRow.id).where(CostDailyRow.ingested_file_id == file_id).limit(1)
        )
        if left is None:
            earlier = session.get(IngestedFileRow, file_id)
            if earlier is not None:
                earlier.status, earlier.superseded_at = SUPERSEDED, now
            # Its commitment rows go too, even one dated outside its billing period.
            session.execute(
                delete(CommitmentDailyRow).where(CommitmentDailyRow.ingested_file_id == file_id)
            )
    return touched


def _delete_partition_commitments(
    session: Session, partition: Partition, *, file_ids: set[int]
) -> None:
    """The replaced deliveries' commitment days of this account inside this billing period.

    commitment_daily keeps no billing period (schema 0005), so the period is matched by charge
    date; a delivery emptied by the restatement loses all its commitment rows in the caller.
    """
    if not file_ids:
        return
    first = partition.billing_period_start.date()
    end = partition.billing_period_end.date()
    end += timedelta(days=0 if partition.billing_period_end.time() == datetime.min.time() else 1)
    session.execute(
        delete(CommitmentDailyRow).where(
            CommitmentDailyRow.ingested_file_id.in_(file_ids),
            CommitmentDailyRow.billing_account_id == partition.billing_account_id[:200],
            CommitmentDailyRow.charge_date >= first,
            CommitmentDailyRow.charge_date < end,
        )
    )


def _unknown_references(costs: AllocatedCostColumns, refs: dict[str, int]) -> tuple[Finding, ...]:
    unknown: Counter[str] = Counter()
    for ref, rows in zip(costs.service_ref, costs.source_rows, strict=True):
        if ref is not None and ref.lower() not in refs:
            unknown[ref] += rows
    if not unknown:
        return ()
    shown = ", ".join(repr(ref) for ref, _ in unknown.most_common(10))
    message = f"allocation names no known service: {shown} (those rows are unallocated)"
    finding = Finding("warning", "unknown_service", message, "Tags", sum(unknown.values()))
    return (finding,)
